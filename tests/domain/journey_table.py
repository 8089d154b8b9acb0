"""The ticket's journey written out by hand, cell by cell, from the README's description: what
each action does from each status, and which card stage may follow which.

Tests compare the application with this table, never with ``app.domain.states`` itself: a slip
in the application's table (a move added or dropped) must fail a test, and a test that asks the
table under test for its expected answers cannot see one."""

from __future__ import annotations

STATUS_ORDER = ("waiting", "called", "serving", "done", "no_show", "cancelled")
UNDONE = "the status before"  # undo goes back to what the ticket's log says it was

# fmt: off
#               waiting      called       serving      done    no_show      cancelled
STATUS_TABLE = {
    "call":     ("called",    None,        None,        None,   None,        None),
    "recall":   (None,        "called",    None,        None,   None,        None),
    "start":    (None,        "serving",   None,        None,   None,        None),
    "finish":   (None,        "done",      "done",      None,   None,        None),
    "no_show":  (None,        "no_show",   "no_show",   None,   None,        None),
    "requeue":  (None,        None,        None,        None,   "waiting",   None),
    "transfer": ("waiting",   "waiting",   "waiting",   None,   None,        None),
    "cancel":   ("cancelled", "cancelled", "cancelled", None,   "cancelled", None),
    "undo":     (None,        None,        None,        UNDONE, UNDONE,      None),
}

# A card's stage (a finished ticket of a card service): (from, to) a clerk may set.
STAGE_TABLE = {
    ("ready_to_print", "printed"),
    ("ready_to_print", "blocked"),
    ("printed",        "handed_over"),
    ("printed",        "blocked"),
    ("blocked",        "ready_to_print"),
    ("blocked",        "printed"),
}
# fmt: on


def target(action: str, status: str) -> str | None:
    """The status ``action`` leads to from ``status``; None when it must be refused."""
    return STATUS_TABLE[action][STATUS_ORDER.index(status)]


def sources(action: str) -> set[str]:
    """The statuses ``action`` is allowed from."""
    return {s for s in STATUS_ORDER if target(action, s) is not None}


def stage_allowed(stage: str | None, to: str) -> bool:
    return (stage, to) in STAGE_TABLE
