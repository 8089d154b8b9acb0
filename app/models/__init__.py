"""SQLAlchemy 2 typed models. Import from here: ``from app.models import Ticket``."""

from .base import Base, UTCDateTime
from .office import (
    COUNTER_CALL_ORDERS,
    Counter,
    CounterService,
    Office,
    OpeningHours,
    Service,
    SpecialDay,
)
from .ticket import (
    ACTIVE_AT_COUNTER,
    IS_AT_COUNTER,
    IS_PRINTED,
    IS_WAITING,
    STAGES,
    STATUSES,
    DailySequence,
    Ticket,
    TicketEvent,
)
from .user import ROLES, ApiToken, User

__all__ = [
    "ACTIVE_AT_COUNTER",
    "COUNTER_CALL_ORDERS",
    "IS_AT_COUNTER",
    "IS_PRINTED",
    "IS_WAITING",
    "ROLES",
    "STAGES",
    "STATUSES",
    "ApiToken",
    "Base",
    "Counter",
    "CounterService",
    "DailySequence",
    "Office",
    "OpeningHours",
    "Service",
    "SpecialDay",
    "Ticket",
    "TicketEvent",
    "UTCDateTime",
    "User",
]
