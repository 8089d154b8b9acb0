"""Building test data: offices, users and tokens, with explicit defaults."""

from __future__ import annotations

from datetime import UTC, datetime, time
from functools import lru_cache

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.auth.tokens import issue_token
from app.auth.users import create_user
from app.models import Counter, CounterService, Office, OpeningHours, Service, User

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 WITA
PASSWORD = "rahasia-123"


def make_office(
    session: Session,
    slug: str = "kupang",
    *,
    services: str = "ABC",
    cards: str = "A",
    counters: tuple = ((1, "A"), (2, "A"), (3, "C")),
    always_open: bool = True,
    timezone_name: str = "Asia/Makassar",
    cutoff: time | None = None,
    hours: tuple = (time(8), time(16)),
    weekdays: range = range(5),
    quota: dict | None = None,
    boost_min: int = 60,
) -> Office:
    """An office with services (one letter each) and counters ((number, codes), ...)."""
    office = Office(
        slug=slug,
        name=f"Kantor {slug}",
        timezone=timezone_name,
        always_open=always_open,
        cutoff_time=cutoff,
        priority_boost_min=boost_min,
        seq=0,
        created_at=T0,
    )
    office.hours = [OpeningHours(weekday=d, opens=hours[0], closes=hours[1]) for d in weekdays]
    by_code = {}
    for position, code in enumerate(services):
        service = Service(
            code=code,
            name=f"Layanan {code}",
            name_en=f"Service {code}",
            colour="#123456",
            produces_card=code in cards,
            active=True,
            position=position,
            default_service_s=300,
            daily_quota=(quota or {}).get(code),
        )
        office.services.append(service)
        by_code[code] = service
    for number, codes in counters:
        counter = Counter(number=number, name=f"Loket {number}", is_open=True, call_order="oldest")
        counter.links = [
            CounterService(service=by_code[c], position=i) for i, c in enumerate(codes)
        ]
        office.counters.append(counter)
    session.add(office)
    session.flush()
    return office


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hashing is slow on purpose; one hash serves every test user.
    return generate_password_hash(PASSWORD)


def make_user(session: Session, username: str, role: str, office: Office | None) -> User:
    """A user whose password is PASSWORD."""
    user = create_user(session, username, role, office=office, password=None, now=T0)
    user.password_hash = _password_hash()
    return user


def make_token(session: Session, user: User) -> str:
    return issue_token(session, user, T0, label="test")


def counter_of(office: Office, number: int) -> Counter:
    return next(c for c in office.counters if c.number == number)


# The admin form for a new service, filled in (a letter no demo office uses).
SERVICE_FORM = {
    "code": "E",
    "name": "Surat Pindah",
    "name_en": "Change of address",
    "colour": "#0f766e",
    "daily_quota": "",
    "active": "y",
    "position": "4",
    "default_minutes": "6",
    "ticket_footer": "",
}
