"""Short write transactions, and what a client hears when the database is busy.

A write transaction here starts with a write (a compare-and-set ``UPDATE`` or an ``INSERT``), so
it takes the database's write lock (SQLite) or the row lock (PostgreSQL, MariaDB) at its first
statement, and holds it only for the writes: everything that can be checked is checked before.
On SQLite that order is what makes the code correct without ``"transaction_mode": "IMMEDIATE"``:
a transaction that reads first and writes later can fail at once with "database is locked"
instead of waiting out the busy timeout.

A lock that is still held when the wait times out (SQLite's busy timeout, PostgreSQL's
``lock_timeout`` or a deadlock, MariaDB's ``innodb_lock_wait_timeout`` or a deadlock) is
``Busy``: the API answers it with a JSON 503 and ``Retry-After``, the admin with a 503 page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, transaction
from django.utils.translation import gettext_lazy as _

#: Seconds a client should wait before retrying a write the database was too busy for.
RETRY_AFTER = 1

#: PostgreSQL SQLSTATEs of a lock not granted: lock_not_available, deadlock_detected,
#: serialization_failure.
POSTGRESQL_LOCK_STATES = frozenset({"55P03", "40P01", "40001"})
#: MySQL/MariaDB error numbers: lock wait timeout exceeded, deadlock found.
MYSQL_LOCK_ERRORS = frozenset({1205, 1213})


class Busy(Exception):
    """The database did not grant a lock in time; nothing was written. Retry after ``RETRY_AFTER`` s."""

    message = _("The database is busy with other writes; nothing was saved. Try again in a moment.")
    retry_after = RETRY_AFTER

    def __str__(self) -> str:
        return str(self.message)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` (a Django ``OperationalError``) is a lock wait that timed out or a deadlock."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state is not None:
        return state in POSTGRESQL_LOCK_STATES
    args = getattr(cause, "args", None) or error.args
    if args and isinstance(args[0], int):
        return args[0] in MYSQL_LOCK_ERRORS
    text = str(error).lower()
    return "database is locked" in text or "database table is locked" in text


@contextmanager
def write_transaction(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic``, with a lock timeout raised as ``Busy``.

    Start the block with its first write. Nested in an outer transaction, a lock timeout is
    left to the outer block (it cannot be retried from inside).
    """
    try:
        with transaction.atomic(using=using):
            yield
    except OperationalError as error:
        if is_lock_timeout(error) and not transaction.get_connection(using).in_atomic_block:
            raise Busy() from error
        raise
