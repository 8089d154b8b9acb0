"""The satisfaction survey (SKM, PermenPAN-RB No. 14/2017) and its index (IKM).

Nine elements, each answered 1-4. The index of a set of responses is the mean of the nine
elements' averages x 25, rounded half up to two decimals, and its grade is A (88.31-100, very
good), B (76.61-88.30, good), C (65.00-76.60, poor) or D (25.00-64.99, very poor). The sums are
exact (fractions) until that one rounding, so a report gives the same figure as a hand count.

A ticket may answer once, after its visit is over: when it is done, and for a service that
produces a card only once the card was handed over; and for ``OPEN_DAYS`` days after its day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    AGE_BANDS,
    EDUCATIONS,
    OCCUPATIONS,
    SEXES,
    SUGGESTION_STATES,
    SURVEY_ELEMENTS,
    SURVEY_SOURCES,
    Counter,
    Office,
    Service,
    SurveyResponse,
    SurveyWording,
    Ticket,
)
from .access import Actor, require
from .audit import record_change
from .clock import local_day
from .errors import N_, InvalidInput, NotFound, QueueError

OPEN_DAYS = 7  # a ticket's survey stays open this many days after its day
SUGGESTION_MAX = 1000
NAME_MAX = 60
QUESTION_MAX = 300
MAX_RANGE_DAYS = 731  # a report covers at most two years
# The tablet at a counter offers the survey of the ticket finished there this recently.
TABLET_MINUTES = 10

PROFILE_CHOICES: dict[str, tuple[str, ...]] = {
    "age_band": AGE_BANDS,
    "sex": SEXES,
    "education": EDUCATIONS,
    "occupation": OCCUPATIONS,
}


@dataclass(frozen=True)
class Element:
    """One element of the questionnaire, as the catalogue words it (English msgids)."""

    code: str
    name: str
    question: str
    words: tuple[str, str, str, str]  # the answers 1..4


ELEMENTS: tuple[Element, ...] = (
    Element(
        "u1",
        N_("Requirements"),
        N_("Did the requirements (the documents asked of you) suit the service?"),
        (N_("Not suitable"), N_("Somewhat suitable"), N_("Suitable"), N_("Very suitable")),
    ),
    Element(
        "u2",
        N_("Procedure"),
        N_("Was the procedure of the service easy to follow?"),
        (N_("Not easy"), N_("Somewhat easy"), N_("Easy"), N_("Very easy")),
    ),
    Element(
        "u3",
        N_("Service time"),
        N_("Was the service fast?"),
        (N_("Not fast"), N_("Somewhat fast"), N_("Fast"), N_("Very fast")),
    ),
    Element(
        "u4",
        N_("Cost"),
        N_("Was the cost of the service fair?"),
        (N_("Very expensive"), N_("Quite expensive"), N_("Cheap"), N_("Free")),
    ),
    Element(
        "u5",
        N_("Product"),
        N_("Did you receive what the service standard promises?"),
        (N_("Not as promised"), N_("Partly as promised"), N_("As promised"), N_("Better")),
    ),
    Element(
        "u6",
        N_("Staff competence"),
        N_("Did the staff know their work?"),
        (N_("Not competent"), N_("Somewhat competent"), N_("Competent"), N_("Very competent")),
    ),
    Element(
        "u7",
        N_("Staff behaviour"),
        N_("Were the staff polite and friendly?"),
        (
            N_("Not polite"),
            N_("Somewhat polite"),
            N_("Polite and friendly"),
            N_("Very polite and friendly"),
        ),
    ),
    Element(
        "u8",
        N_("Complaints and suggestions"),
        N_("How does the office handle complaints and suggestions?"),
        (
            N_("There is no way"),
            N_("There is a way but it does not work"),
            N_("It works, not fully"),
            N_("Handled well"),
        ),
    ),
    Element(
        "u9",
        N_("Facilities"),
        N_("How good are the facilities (waiting room, seats, toilets, parking)?"),
        (N_("Bad"), N_("Fair"), N_("Good"), N_("Very good")),
    ),
)
BY_CODE = {element.code: element for element in ELEMENTS}
assert tuple(BY_CODE) == SURVEY_ELEMENTS

# The grade of an index: (lowest index, letter, the regulation's words for it).
GRADES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", N_("Very good")),
    (Decimal("76.61"), "B", N_("Good")),
    (Decimal("65.00"), "C", N_("Poor")),
    (Decimal("25.00"), "D", N_("Very poor")),
)
GRADE_WORDS = {letter: words for _, letter, words in GRADES}


class SurveyNotOpen(QueueError):
    status = 409
    code = "survey_not_open"


class SurveyDone(QueueError):
    status = 409
    code = "survey_done"


# ---- the questionnaire ----------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """An element as an office shows it. ``name`` and ``question`` are the office's own text
    when ``custom`` (shown as written in every language, but ``question_en`` in English),
    else the catalogue's msgids (translated by the page)."""

    code: str
    name: str
    question: str
    question_en: str
    words: tuple[str, str, str, str]
    custom: bool


def wordings(session: Session, office_id: int) -> list[Wording]:
    own = {
        row.code: row
        for row in session.scalars(
            select(SurveyWording).where(SurveyWording.office_id == office_id)
        )
    }
    out = []
    for element in ELEMENTS:
        row = own.get(element.code)
        if row is None:
            out.append(
                Wording(element.code, element.name, element.question, "", element.words, False)
            )
        else:
            out.append(
                Wording(element.code, row.name, row.question, row.question_en, element.words, True)
            )
    return out


def set_wording(
    session: Session,
    actor: Actor,
    office: Office,
    code: str,
    name: str,
    question: str,
    question_en: str,
    now: datetime,
) -> None:
    """Word element ``code`` the office's own way; an empty name and question go back to the
    catalogue's wording. The caller commits."""
    require(actor, "report", office.id)
    if code not in BY_CODE:
        raise InvalidInput(N_("There is no survey element %(code)s."), code=code)
    name, question, question_en = name.strip(), question.strip(), question_en.strip()
    row = session.get(SurveyWording, (office.id, code))
    before = (row.name, row.question, row.question_en) if row else ("", "", "")
    if not name and not question:
        if row is not None:
            session.delete(row)
            record_change(
                session,
                actor,
                now,
                "survey.wording",
                f"{office.slug} {code}",
                {"wording": [list(before), None]},
                office.id,
            )
        return
    if not name or not question:
        raise InvalidInput(N_("Give both the element's name and its question, or neither."))
    if len(name) > NAME_MAX:
        raise InvalidInput(N_("The name is too long (at most %(max)s characters)."), max=NAME_MAX)
    for text in (question, question_en):
        if len(text) > QUESTION_MAX:
            raise InvalidInput(
                N_("The question is too long (at most %(max)s characters)."), max=QUESTION_MAX
            )
    if row is None:
        row = SurveyWording(office_id=office.id, code=code)
        session.add(row)
    row.name, row.question, row.question_en = name, question, question_en
    after = (name, question, question_en)
    if after != before:
        record_change(
            session,
            actor,
            now,
            "survey.wording",
            f"{office.slug} {code}",
            {"wording": [list(before), list(after)]},
            office.id,
        )


# ---- answering ------------------------------------------------------------------------------


def state(session: Session, ticket: Ticket, now: datetime) -> str:
    """``open``, ``answered``, ``not_yet`` (the visit is not over), ``closed`` (too long ago)
    or ``none`` (the ticket was not served: cancelled or absent)."""
    if session.scalar(select(SurveyResponse.id).where(SurveyResponse.ticket_id == ticket.id)):
        return "answered"
    if ticket.status in ("cancelled", "no_show"):
        return "none"
    if ticket.status != "done" or ticket.stage not in (None, "handed_over"):
        return "not_yet"
    if ticket.day < local_day(now, ticket.office.timezone) - timedelta(days=OPEN_DAYS):
        return "closed"
    return "open"


def check_answers(answers: Mapping[str, Any]) -> dict[str, int]:
    """The nine answers, each 1-4; raises InvalidInput naming the first one missing or wrong."""
    unknown = sorted(set(answers) - set(SURVEY_ELEMENTS))
    if unknown:
        raise InvalidInput(
            N_("There is no survey element %(code)s (the elements are u1 to u9)."),
            code=str(unknown[0])[:8],
        )
    out: dict[str, int] = {}
    for code in SURVEY_ELEMENTS:
        value = answers.get(code)
        if value is None:
            raise InvalidInput(N_("Please answer question %(code)s."), code=code)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise InvalidInput(N_("The answer to %(code)s must be 1, 2, 3 or 4."), code=code)
        out[code] = value
    return out


def check_profile(profile: Mapping[str, Any] | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {key: None for key in PROFILE_CHOICES}
    for key, value in (profile or {}).items():
        if key not in PROFILE_CHOICES:
            raise InvalidInput(
                N_("The respondent profile has no field %(field)s."), field=str(key)[:20]
            )
        if value in (None, ""):
            continue
        if value not in PROFILE_CHOICES[key]:
            raise InvalidInput(
                N_("The field %(field)s must be one of: %(choices)s."),
                field=key,
                choices=", ".join(PROFILE_CHOICES[key]),
            )
        out[key] = value
    return out


def submit(
    session: Session,
    ticket: Ticket,
    answers: Mapping[str, Any],
    now: datetime,
    *,
    suggestion: str | None = None,
    profile: Mapping[str, Any] | None = None,
    source: str = "status",
) -> SurveyResponse:
    """Record the survey of ``ticket``. Raises SurveyNotOpen, SurveyDone or InvalidInput. The
    caller commits (a second response racing this one fails there: see ``commit_response``)."""
    assert source in SURVEY_SOURCES
    current = state(session, ticket, now)
    if current == "answered":
        raise SurveyDone(N_("This visit's survey has already been answered. Thank you."))
    if current == "closed":
        raise SurveyNotOpen(
            N_("The survey of a visit is open for %(days)s days; this one has closed."),
            days=OPEN_DAYS,
        )
    if current != "open":
        raise SurveyNotOpen(
            N_(
                "The survey opens when your visit is finished (for a KTP-el: once it is "
                "handed over)."
            )
        )
    values = check_answers(answers)
    person = check_profile(profile)
    text = (suggestion or "").strip()
    if len(text) > SUGGESTION_MAX:
        raise InvalidInput(
            N_("The suggestion is too long (at most %(max)s characters)."), max=SUGGESTION_MAX
        )
    response = SurveyResponse(
        office_id=ticket.office_id,
        ticket_id=ticket.id,
        service_id=ticket.service_id,
        counter_id=ticket.counter_id,
        day=ticket.day,
        answered_at=now,
        source=source,
        suggestion=text or None,
        suggestion_state="new" if text else None,
        **values,
        **person,
    )
    session.add(response)
    return response


def commit_response(session: Session) -> None:
    """Commit a response; a second one for the same ticket (two phones at once) is SurveyDone."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SurveyDone(N_("This visit's survey has already been answered. Thank you.")) from None


def tablet_ticket(session: Session, counter: Counter, now: datetime) -> Ticket | None:
    """The ticket the tablet at ``counter`` asks about: the last one finished there in the
    past ``TABLET_MINUTES`` whose survey is open."""
    since = now - timedelta(minutes=TABLET_MINUTES)
    ticket = session.scalars(
        select(Ticket)
        .where(
            Ticket.counter_id == counter.id,
            Ticket.status == "done",
            Ticket.finished_at >= since,
        )
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
        .limit(1)
    ).first()
    if ticket is None or state(session, ticket, now) != "open":
        return None
    return ticket


# ---- the index ------------------------------------------------------------------------------


def round2(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def round3(value: Fraction) -> Decimal:
    """An element's average as reports show it: three decimals, rounded half up like the index."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )


def grade(ikm: Decimal) -> str:
    for lowest, letter, _ in GRADES:
        if ikm >= lowest:
            return letter
    return "D"


@dataclass(frozen=True)
class Score:
    respondents: int
    sums: tuple[int, ...]  # per element, in SURVEY_ELEMENTS' order

    @property
    def averages(self) -> list[Fraction | None]:
        if not self.respondents:
            return [None] * len(self.sums)
        return [Fraction(total, self.respondents) for total in self.sums]

    @property
    def ikm(self) -> Decimal | None:
        if not self.respondents:
            return None
        return round2(sum(Fraction(t, self.respondents) for t in self.sums) * 25 / len(self.sums))

    @property
    def category(self) -> str | None:
        value = self.ikm
        return None if value is None else grade(value)

    def __add__(self, other: Score) -> Score:
        return Score(
            self.respondents + other.respondents,
            tuple(a + b for a, b in zip(self.sums, other.sums, strict=True)),
        )


EMPTY = Score(0, (0,) * len(SURVEY_ELEMENTS))


def check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(N_("The end date is before the start date."))
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            N_("A report covers at most %(days)s days; choose a shorter period."),
            days=MAX_RANGE_DAYS,
        )


def _filters(
    office_id: int, start: date, end: date, service_id: int | None, counter_id: int | None
) -> list[Any]:
    where = [
        SurveyResponse.office_id == office_id,
        SurveyResponse.day >= start,
        SurveyResponse.day <= end,
    ]
    if service_id is not None:
        where.append(SurveyResponse.service_id == service_id)
    if counter_id is not None:
        where.append(SurveyResponse.counter_id == counter_id)
    return where


_SUMS = [func.sum(getattr(SurveyResponse, code)) for code in SURVEY_ELEMENTS]


def indexes_by(
    session: Session,
    office_id: int,
    start: date,
    end: date,
    key: Any,
    *,
    service_id: int | None = None,
    counter_id: int | None = None,
) -> dict[Any, Score]:
    """The index of the responses of a period, grouped by ``key`` (a column of
    SurveyResponse, e.g. ``day``, ``service_id`` or ``counter_id``)."""
    check_range(start, end)
    rows = session.execute(
        select(key, func.count(), *_SUMS)
        .where(*_filters(office_id, start, end, service_id, counter_id))
        .group_by(key)
    ).all()
    return {row[0]: Score(row[1], tuple(int(v or 0) for v in row[2:])) for row in rows}


def index(
    session: Session,
    office_id: int,
    start: date,
    end: date,
    *,
    service_id: int | None = None,
    counter_id: int | None = None,
) -> Score:
    check_range(start, end)
    row = session.execute(
        select(func.count(), *_SUMS).where(*_filters(office_id, start, end, service_id, counter_id))
    ).one()
    return Score(row[0], tuple(int(v or 0) for v in row[1:]))


def by_month(groups: Mapping[date, Score]) -> dict[str, Score]:
    """Daily indexes added up per month ("YYYY-MM"), in order."""
    months: dict[str, Score] = {}
    for day in sorted(groups):
        key = day.strftime("%Y-%m")
        months[key] = months.get(key, EMPTY) + groups[day]
    return months


def served(
    session: Session,
    office_id: int,
    start: date,
    end: date,
    *,
    service_id: int | None = None,
    counter_id: int | None = None,
) -> int:
    """How many visits of the period ended served (the share of them who answered)."""
    where = [
        Ticket.office_id == office_id,
        Ticket.day >= start,
        Ticket.day <= end,
        Ticket.status == "done",
    ]
    if service_id is not None:
        where.append(Ticket.service_id == service_id)
    if counter_id is not None:
        where.append(Ticket.counter_id == counter_id)
    return session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0


def profile_counts(
    session: Session, office_id: int, start: date, end: date, **filters: int | None
) -> dict[str, dict[str | None, int]]:
    """How many respondents gave each answer of the profile (None: not given). Aggregates
    only; a single response's profile is never shown."""
    where = _filters(office_id, start, end, filters.get("service_id"), filters.get("counter_id"))
    out: dict[str, dict[str | None, int]] = {}
    for key in PROFILE_CHOICES:
        column = getattr(SurveyResponse, key)
        rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
        out[key] = {value: count for value, count in rows}
    return out


def report_json(
    session: Session,
    office: Office,
    start: date,
    end: date,
    names: Iterable[str],
    **filters: int | None,
) -> dict[str, Any]:
    """The API's report: respondents, each element's average, the index and its grade."""
    result = index(session, office.id, start, end, **filters)
    return {
        "respondents": result.respondents,
        "elements": [
            {
                "code": code,
                "name": name,
                "average": None if avg is None else float(round3(avg)),
            }
            for code, name, avg in zip(SURVEY_ELEMENTS, names, result.averages, strict=True)
        ],
        "ikm": None if result.ikm is None else float(result.ikm),
        "category": result.category,
    }


# ---- suggestions ----------------------------------------------------------------------------


def moderate(
    session: Session, actor: Actor, office: Office, response_id: int, new_state: str, now: datetime
) -> SurveyResponse:
    """Keep or hide a suggestion (administrators only). The caller commits."""
    require(actor, "report", office.id)
    if new_state not in SUGGESTION_STATES:
        raise InvalidInput(N_("Unknown state %(state)s."), state=new_state[:12])
    response = session.get(SurveyResponse, response_id)
    if response is None or response.office_id != office.id or response.suggestion is None:
        raise NotFound(N_("There is no such suggestion."))
    if response.suggestion_state != new_state:
        record_change(
            session,
            actor,
            now,
            "survey.suggestion",
            f"{office.slug} #{response.id}",
            {"state": [response.suggestion_state, new_state]},
            office.id,
        )
        response.suggestion_state = new_state
        response.moderated_at = now
        response.moderated_by_id = actor.user_id
    return response


def services_and_counters(session: Session, office_id: int) -> tuple[list[Service], list[Counter]]:
    services = session.scalars(
        select(Service)
        .where(Service.office_id == office_id)
        .order_by(Service.position, Service.code)
    ).all()
    counters = session.scalars(
        select(Counter).where(Counter.office_id == office_id).order_by(Counter.number)
    ).all()
    return list(services), list(counters)
