"""The after-commit seam, and the rule of what may happen inside a business transaction.

A service that changes a lifecycle (`hazards.services`, `audits.services`, `scoring.services`)
runs in ONE transaction with the row locked (`select_for_update`). Inside it, and only there:

- the reads that decide (the lock, the version check, `check` of the lifecycle table);
- the writes of the change itself: the row, its history row (`events.py`), numbers;
- outbox rows of everything that must not be lost (`notifications.services.message_enqueue`):
  a message is a row written with the change, or neither exists;
- documents that ARE the change, rendered before their row is stored: a hazard or supervision
  notice is numbered, printed and hashed as the record of what was issued, so an issue whose
  PDF cannot be made changes nothing (`hazards.services.notices._issue` says why it renders there and
  how it keeps the number counter free meanwhile).

After commit, through `after_commit` (never inside the lock, never when the transaction rolls
back): anything that talks to the world or is a consequence of the change rather than part of
it, i.e. Celery dispatch of the outbox (`notifications.delivery.dispatch`), SMTP, SMS, HTTP,
deleting files a change replaced, cache invalidation, hooks of higher apps that only react.

Outside any transaction `after_commit` runs the function at once (Django's on_commit rule), so
the same service code works from a management command in autocommit mode.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)


def after_commit(func: Callable, *args, using: str | None = None, robust: bool = True, **kwargs) -> None:
    """Call `func(*args, **kwargs)` once the current transaction commits; not at all if it rolls
    back. `robust`: an exception in `func` is logged and does not stop the other callbacks (the
    change is committed already; the outbox sweeper retries what a failed dispatch left)."""
    @functools.wraps(func)
    def callback():
        return func(*args, **kwargs)

    # Named like `func` (a bare functools.partial has no __qualname__, and Django's robust
    # on_commit needs one to log the failure: it raised AttributeError instead).
    transaction.on_commit(callback, using=using, robust=robust)


def in_transaction(using: str | None = None) -> bool:
    """Whether the caller runs inside an atomic block (services that lock rows require it)."""
    return connections[using or DEFAULT_DB_ALIAS].in_atomic_block
