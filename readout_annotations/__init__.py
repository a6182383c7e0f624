"""Tag statements in diplomatic readouts by speaker and stance."""

__version__ = "0.2.0"
