"""SQLAlchemy 2 typed models. Import from here: ``from app.models import Ticket``."""

from .audit import AuditEvent, LoginLink
from .base import Base, UTCDateTime
from .booking import (
    BOOKING_STATUSES,
    DEFAULT_EARLY_MIN,
    DEFAULT_LATE_MIN,
    Booking,
    BookingPlan,
    bookings_generation,
    check_in_closes,
)
from .office import (
    COUNTER_CALL_ORDERS,
    Counter,
    CounterService,
    Office,
    OpeningHours,
    Service,
    SpecialDay,
)
from .print_job import JOB_STATUSES, SERVER_PRINTER, PrinterState, PrintJob, agent_target
from .ticket import (
    ACTIVE_AT_COUNTER,
    CHANNELS,
    IS_AT_COUNTER,
    IS_PRINTED,
    IS_WAITING,
    STAGES,
    STATUSES,
    DailySequence,
    Ticket,
    TicketEvent,
    sql_constant,
)
from .user import ROLES, ApiToken, User

__all__ = [
    "ACTIVE_AT_COUNTER",
    "BOOKING_STATUSES",
    "CHANNELS",
    "COUNTER_CALL_ORDERS",
    "DEFAULT_EARLY_MIN",
    "DEFAULT_LATE_MIN",
    "IS_AT_COUNTER",
    "IS_PRINTED",
    "IS_WAITING",
    "JOB_STATUSES",
    "ROLES",
    "SERVER_PRINTER",
    "STAGES",
    "STATUSES",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Booking",
    "BookingPlan",
    "Counter",
    "CounterService",
    "DailySequence",
    "LoginLink",
    "Office",
    "OpeningHours",
    "PrintJob",
    "PrinterState",
    "Service",
    "SpecialDay",
    "Ticket",
    "TicketEvent",
    "UTCDateTime",
    "User",
    "agent_target",
    "bookings_generation",
    "check_in_closes",
    "sql_constant",
]
