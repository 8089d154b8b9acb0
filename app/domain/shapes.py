"""Every shape that leaves the server, defined once: the JSON of the REST replies and of the
Socket.IO events are these, the OpenAPI document's schemas are generated from them
(``app.api.openapi``), and request bodies are checked by the body models at the end.

The reply shapes are ``TypedDict``s: the code that builds a reply (``snapshots``, ``reports``,
``app.api.serialize``) returns plain dicts of that type, so a board sent to 2,000 screens costs
no model objects, and pydantic turns the same definitions into JSON Schema. A test checks every
reply and every event a client receives against them. Nothing personal is in any of them.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, with_config
from typing_extensions import TypedDict

from ..models.ticket import STAGES, STATUSES
from .states import BLOCK_REASONS

# ---- values ------------------------------------------------------------------------------

Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Code = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[A-Z]-[0-9]{3,}$"})]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Stage = Literal[STAGES]  # type: ignore[valid-type]
BlockReason = Literal[BLOCK_REASONS]  # type: ignore[valid-type]
Rate = Annotated[float, Field(ge=0, le=1)]
JobStatus = Literal["pending", "printing", "printed", "failed"]

STRICT = ConfigDict(extra="forbid")  # a key that is not in the shape is an error, not ignored


# ---- the office and its parts ------------------------------------------------------------


@with_config(STRICT)
class Office(TypedDict):
    slug: str
    name: str
    timezone: str


@with_config(STRICT)
class Service(TypedDict):
    """A service as the kiosk and the API list it: open now, or why not and until when."""

    code: str
    name: str
    name_en: str | None
    colour: str
    produces_card: bool
    open: bool
    closed_reason: str | None
    closed_code: str | None
    next_open: Time | None
    active: bool
    daily_quota: int | None
    waiting: int


@with_config(STRICT)
class Counter(TypedDict):
    id: int
    number: int
    name: str
    services: list[str]
    open: bool
    call_order: str


@with_config(STRICT)
class CounterRef(TypedDict):
    """The counter a ticket is at (on its status page and in the API)."""

    id: int
    number: int
    name: str


@with_config(STRICT)
class PrintStatus(TypedDict):
    job: int
    status: JobStatus
    attempts: int
    error: str | None
    target: str


@with_config(STRICT)
class Printer(TypedDict):
    target: str
    name: str
    online: bool
    last_error: str | None
    error_text: str
    last_ok_at: Time | None
    last_attempt_at: Time | None
    queue: int


# ---- a ticket ------------------------------------------------------------------------------


@with_config(STRICT)
class Ticket(TypedDict):
    """A ticket as staff and the issuing kiosk get it (the token is the status page's key)."""

    id: int
    code: Code
    number: int
    office: str
    day: Day
    service: str
    service_name: str
    issued_service: str
    status: Status
    stage: Stage | None
    block_reason: BlockReason | None
    priority: bool
    counter: CounterRef | None
    token: str
    issued_at: Time
    called_at: Time | None
    ahead: int | None
    estimated_wait_s: int | None
    track_url: str
    print: NotRequired[PrintStatus | None]


@with_config(STRICT)
class Track(TypedDict):
    """A ticket's public status page: where it is and how long to wait, nothing else."""

    code: Code
    service: str
    service_name: str
    service_name_en: str | None
    office: str
    day: Day
    status: Status
    stage: Stage | None
    block_reason: BlockReason | None
    priority: bool
    ahead: int | None
    estimated_wait_s: int | None
    counter: CounterRef | None


# ---- the TV board --------------------------------------------------------------------------


@with_config(STRICT)
class CallRow(TypedDict):
    counter: int | None
    counter_name: str | None
    code: Code
    service: str | None
    status: Status
    called_at: Time | None


@with_config(STRICT)
class PickupItem(TypedDict):
    code: Code
    service: str | None
    day: Day
    printed_at: Time | None


@with_config(STRICT)
class BoardCounter(TypedDict):
    number: int
    name: str
    open: bool
    services: list[str]
    code: Code | None
    status: Status | None


@with_config(STRICT)
class BoardService(TypedDict):
    code: str
    name: str
    name_en: str | None
    colour: str
    produces_card: bool
    waiting: int


@with_config(STRICT)
class Board(TypedDict):
    """What the TV shows: now serving per counter, recent calls, waiting counts, pickup."""

    office: str
    office_name: str
    timezone: str
    seq: int
    day: Day
    generated_at: Time
    announcement: str
    now_serving: list[CallRow]
    latest: CallRow | None
    call_clips: Annotated[
        dict[str, list[str]],
        Field(description="Per code in now_serving: the voice clips that announce that call."),
    ]
    recent: list[CallRow]
    waiting: dict[str, int]
    pickup: list[Code]
    pickup_items: list[PickupItem]
    counters: list[BoardCounter]
    services: list[BoardService]


@with_config(STRICT)
class Called(TypedDict):
    """The "called" event: a call or recall, with the clips the TV plays."""

    code: Code
    counter: int | None
    counter_name: str | None
    service: str
    seq: int
    recall: bool
    clips: list[str]


@with_config(STRICT)
class Pickup(TypedDict):
    """The "pickup" event: a card is ready at the pickup counter."""

    code: Code
    service: str
    seq: int
    clips: list[str]


# ---- the staff view ------------------------------------------------------------------------


@with_config(STRICT)
class StaffService(TypedDict):
    code: str
    name: str
    colour: str
    produces_card: bool
    active: bool


@with_config(STRICT)
class StaffWaiting(TypedDict):
    id: int
    code: Code
    service: str | None
    priority: bool
    issued_at: Time
    queued_at: Time


@with_config(STRICT)
class HeldTicket(TypedDict):
    id: int
    code: Code
    service: str | None
    status: Status
    priority: bool
    called_at: Time | None
    serving_at: Time | None
    recalls: int


@with_config(STRICT)
class StaffCounter(TypedDict):
    id: int
    number: int
    name: str
    open: bool
    services: list[str]
    ticket: HeldTicket | None


@with_config(STRICT)
class Card(TypedDict):
    id: int
    code: Code
    service: str | None
    day: Day
    ready_at: Time | None
    printed_at: Time | None
    blocked_at: Time | None
    block_reason: BlockReason | None
    note: str | None


@with_config(STRICT)
class Cards(TypedDict):
    ready_to_print: list[Card]
    printed: list[Card]
    blocked: list[Card]


@with_config(STRICT)
class Absent(TypedDict):
    id: int
    code: Code
    service: str | None
    counter: int | None
    no_show_at: Time | None


@with_config(STRICT)
class StaffView(TypedDict):
    """What the counter, station and admin screens show (staff only)."""

    office: str
    seq: int
    day: Day
    generated_at: Time
    card_stock: int | None
    services: list[StaffService]
    waiting: list[StaffWaiting]
    counters: list[StaffCounter]
    cards: Cards
    absent: list[Absent]


# ---- the report ----------------------------------------------------------------------------


@with_config(STRICT)
class Totals(TypedDict):
    issued: int
    served: int
    no_show: int
    cancelled: int
    no_show_rate: Rate | None
    wait_avg_s: int | None
    wait_median_s: int | None
    wait_p90_s: int | None


@with_config(STRICT)
class ServiceLine(Totals):
    """One service's figures: the totals' fields for it, and its mean service time."""

    code: str
    name: str
    service_avg_s: int | None


@with_config(STRICT)
class HourLine(TypedDict):
    hour: int
    issued: int


@with_config(STRICT)
class DayLine(TypedDict):
    day: Day
    issued: int
    services: dict[str, int]


@with_config(STRICT)
class Throughput(TypedDict):
    served: int
    no_show: int
    service_avg_s: int | None
    no_show_rate: Rate | None


@with_config(STRICT)
class CounterLine(Throughput):
    number: int
    name: str


@with_config(STRICT)
class OperatorLine(Throughput):
    username: str
    name: str


@with_config(STRICT)
class Leg(TypedDict):
    count: int
    avg_s: int | None
    median_s: int | None
    p90_s: int | None


@with_config(STRICT)
class Pipeline(TypedDict):
    recorded_to_printed: Leg
    printed_to_handed_over: Leg
    recorded_to_handed_over: Leg
    not_collected: int


@with_config(STRICT)
class CardCounts(TypedDict):
    ready_to_print: int
    printed: int
    handed_over: int
    blocked: int


@with_config(STRICT)
class BookingLine(TypedDict):
    """Bookings of one service for one office-local day (the day of their slots)."""

    day: Day
    service: str
    booked: int
    cancelled: int
    checked_in: int
    missed: int


@with_config(STRICT)
class Channels(TypedDict):
    """Tickets issued by where they came from."""

    kiosk: int
    booking: int
    phone: int


Report = TypedDict(
    "Report",
    {
        "office": str,
        "from": Day,
        "to": Day,
        "services": list[ServiceLine],
        "totals": Totals,
        "hours": list[HourLine],
        "days": list[DayLine],
        "counters": list[CounterLine],
        "operators": list[OperatorLine],
        "cards": CardCounts,
        "pipeline": Pipeline,
        "channels": Channels,
        "bookings": list[BookingLine],
    },
)
Report.__doc__ = "A report over office-local days."
Report.__pydantic_config__ = STRICT  # type: ignore[attr-defined]


# ---- booking ahead and the public overview ---------------------------------------------------

BookingStatus = Literal["requested", "booked", "checked_in", "cancelled", "missed", "refused"]


@with_config(STRICT)
class Slot(TypedDict):
    """A bookable slot: times with the office's offset, and the places still free."""

    start: Time
    end: Time
    free: int


@with_config(STRICT)
class Booking(TypedDict):
    """A booking as its holder sees it (nothing personal: none is asked)."""

    code: str
    token: str
    office: str
    office_name: str
    service: str
    service_name: str
    service_name_en: str | None
    day: Day
    start: Time
    end: Time
    places: int
    status: BookingStatus
    check_in_from: Time
    check_in_until: Time
    booking_url: str
    track_url: str | None


@with_config(STRICT)
class OverviewService(TypedDict):
    code: str
    name: str
    name_en: str | None
    open: bool
    waiting: int
    estimated_wait_s: int | None
    bring: str
    bookable: bool


@with_config(STRICT)
class OfficeOverview(TypedDict):
    """One office on the public "which office, when" page."""

    office: str
    name: str
    open_now: bool
    opens_at: Time | None
    closes_at: Time | None
    opening: str | None
    address: str
    map_url: str
    services: list[OverviewService]


@with_config(STRICT)
class Notice(TypedDict):
    """A card-ready message asked for: one SMS when the card becomes printed. The number is
    never sent back in full."""

    code: Code
    status: Literal["waiting", "pending", "sending", "sent", "failed", "dropped"]
    phone: Annotated[str | None, Field(description="the number masked, e.g. 08••••••789")]


# ---- errors --------------------------------------------------------------------------------


@with_config(STRICT)
class IkmElement(TypedDict):
    code: Literal["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"]
    name: str
    average: float | None  # 1-4, three decimals; None without respondents


@with_config(STRICT)
class Ikm(TypedDict):
    """The satisfaction index (SKM) of a period: the mean of the nine elements' averages x 25,
    two decimals, and its grade (A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99)."""

    respondents: int
    elements: list[IkmElement]
    ikm: float | None
    category: Literal["A", "B", "C", "D"] | None


@with_config(STRICT)
class SurveyAnswered(TypedDict):
    code: Code
    status: Literal["answered"]
    answered_at: Time


@with_config(STRICT)
class ErrorBody(TypedDict):
    code: str
    message: str


@with_config(STRICT)
class Error(TypedDict):
    """Every refusal: a stable code and a sentence in the caller's language."""

    error: ErrorBody


# ---- request bodies ------------------------------------------------------------------------

IDEMPOTENCY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
ServiceLetter = Annotated[str, StringConstraints(max_length=8)]
Note = Annotated[str, StringConstraints(max_length=500)]


class Body(BaseModel):
    """A request body: unknown fields are ignored, each known one is checked strictly (no
    "true" for true, no 1 for a letter)."""

    model_config = ConfigDict(strict=True, extra="ignore")


class IssueBody(Body):
    service: ServiceLetter
    priority: bool = False
    print: bool = Field(True, description="print a paper ticket")
    idempotency_key: Annotated[str, StringConstraints(pattern=IDEMPOTENCY_PATTERN)] | None = None


class TransferBody(Body):
    service: ServiceLetter


class StageBody(Body):
    stage: Stage
    note: Note | None = None
    reason: BlockReason | None = None


class NoteBody(Body):
    note: Note | None = None


class BookBody(Body):
    service: ServiceLetter
    places: Annotated[int, Field(ge=1, le=60)] = Field(
        1, description="more than 1: a group (a school visit), booked once the office approves"
    )
    start: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="a slot's start, as the slots list gives it"
    )


class CheckInBody(Body):
    booking: Annotated[str, StringConstraints(max_length=300)] = Field(
        description="the booking's code as typed, or its token or link as scanned"
    )


class SurveyProfile(Body):
    """The regulation's optional respondent profile; only ever reported in aggregate."""

    age_band: Literal["lt20", "20_29", "30_39", "40_49", "50_59", "60p"] | None = None
    sex: Literal["f", "m"] | None = None
    education: Literal["sd", "smp", "sma", "d3", "s1", "s2"] | None = None
    occupation: Literal["pns", "tni_polri", "swasta", "wirausaha", "pelajar", "lainnya"] | None = (
        None
    )


class NoticeBody(Body):
    phone: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="an Indonesian mobile number as dialled: 0812 3456 7890, +62 812 3456 7890"
    )


class SurveyBody(Body):
    answers: dict[str, int] = Field(
        description="u1 to u9 (requirements, procedure, time, cost, product, staff competence, "
        "staff behaviour, complaints handling, facilities), each 1 (worst) to 4 (best)",
        json_schema_extra={
            "required": ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"],
            "properties": {
                f"u{i}": {"type": "integer", "minimum": 1, "maximum": 4} for i in range(1, 10)
            },
            "additionalProperties": False,
        },
    )
    suggestion: Annotated[str, StringConstraints(max_length=1000)] | None = None
    profile: SurveyProfile | None = None


# The reply shapes the OpenAPI document names (components/schemas), in its order.
REPLIES: tuple[type, ...] = (
    Error,
    Office,
    Service,
    Counter,
    CounterRef,
    Ticket,
    StaffView,
    PrintStatus,
    Printer,
    CallRow,
    Board,
    Track,
    Report,
    Called,
    Pickup,
    Slot,
    Booking,
    OfficeOverview,
    Ikm,
    SurveyAnswered,
    Notice,
)
BODIES: tuple[type[Body], ...] = (
    IssueBody,
    TransferBody,
    StageBody,
    NoteBody,
    BookBody,
    CheckInBody,
    SurveyBody,
    NoticeBody,
)
