"""Tag statements in diplomatic readouts by speaker and stance."""

__version__ = "0.1.0"
