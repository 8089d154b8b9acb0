"""The queue domain: plain functions over a SQLAlchemy Session with explicit ``now`` and actor.

No Flask, no request, no socket here. Functions raise the errors in ``errors`` and record the
events they caused on the session (``events``), which are published only after commit.
"""

from . import booking, overview
from .access import Actor, require
from .calling import (
    call_next,
    current_ticket,
    finish,
    no_show,
    recall,
    set_counter_open,
    start,
    undo,
)
from .clock import local_day, utcnow
from .errors import (
    Closed,
    CounterBusy,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    QueueError,
)
from .estimate import estimate
from .lookup import (
    counter_by_id,
    find_tickets,
    office_by_slug,
    office_for,
    offices_of,
    service_by_code,
    ticket_by_id,
    ticket_by_token,
    ticket_for,
)
from .rollover import roll_over
from .schedule import open_services
from .snapshots import board, staff_view, track
from .stages import set_stage
from .tickets import MAX_GROUP, cancel, issue, issue_group, issue_once, requeue, transfer

__all__ = [
    "MAX_GROUP",
    "Actor",
    "Closed",
    "CounterBusy",
    "Forbidden",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "QueueError",
    "board",
    "booking",
    "call_next",
    "cancel",
    "counter_by_id",
    "current_ticket",
    "estimate",
    "find_tickets",
    "finish",
    "issue",
    "issue_group",
    "issue_once",
    "local_day",
    "no_show",
    "office_by_slug",
    "office_for",
    "offices_of",
    "open_services",
    "overview",
    "recall",
    "requeue",
    "require",
    "roll_over",
    "service_by_code",
    "set_counter_open",
    "set_stage",
    "staff_view",
    "start",
    "ticket_by_id",
    "ticket_by_token",
    "ticket_for",
    "track",
    "transfer",
    "undo",
    "utcnow",
]
