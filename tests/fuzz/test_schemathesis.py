"""Property-based fuzzing of the JSON API against its own OpenAPI 3.1 document (schemathesis).

Every documented operation is fuzzed in-process (WSGI), on SQLite and on PostgreSQL, with
generated requests, both valid ("positive") and invalid ("negative") ones, each sent with the
bearer token of a random role (or none). The database holds two offices with staff of every role
and tickets in every status and card stage; half of the generated requests name those real
offices, tickets, counters and tracking tokens (or nearly: with NUL, lone surrogates, long or
non-ASCII text), and real services, stages and search queries, so that the moves go deep instead
of stopping at 404. Each hostile text is also sent once, first, wherever it reaches the database.

Every response must be no 5xx, have a documented status code and content type, and a body that
matches the documented schema. The same holds for the 429 of the anonymous rate limit.

Deterministic: Hypothesis derandomised, no example database, a frozen clock.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import config
from app import create_app, domain
from app.api.openapi import spec
from app.domain.states import BLOCK_REASONS
from app.extensions import db
from app.models import STAGES, Counter, Office, Ticket
from tests.conftest import _truncate_postgres, build_world
from tests.factories import T0

# Generated examples per operation, generation mode and database: about a minute for the file
# on a 2-core machine.
EXAMPLES = 50

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Who sends the request: a valid token of each role (None: no Authorization header at all).
# The office's own staff come up more often, so more requests get past the role check.
ROLES = (
    *("admin", "operator", "clerk", "kiosk") * 3,
    "display",
    "operator@oebobo",
    "clerk@oebobo",
    "kiosk@oebobo",
    "admin@oebobo",
    None,
)

SYSTEM = domain.Actor.system()


def _has_more_than_text_in_path(operation: dict[str, Any]) -> bool:
    """Whether negative (invalid) requests exist: a body, a query or header parameter, or a path
    parameter that is not any text (every path segment is some text)."""
    return "requestBody" in operation or any(
        p["in"] != "path" or p["schema"].get("type") != "string"
        for p in operation.get("parameters", [])
    )


_DOCUMENT = spec()
OPERATIONS = sorted(
    (method.upper(), path, mode)
    for path, item in _DOCUMENT["paths"].items()
    for method, operation in item.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or _has_more_than_text_in_path(operation)
)


@dataclass
class Seeded:
    """What the fuzzed requests may name: tokens by role, and real ids of every kind."""

    tokens: dict[str, str]
    offices: list[str] = field(default_factory=lambda: ["kupang", "oebobo"])
    ticket_ids: list[int] = field(default_factory=list)
    ticket_tokens: list[str] = field(default_factory=list)
    counter_ids: list[int] = field(default_factory=list)
    cards: list[int] = field(default_factory=list)  # card tickets in each stage
    waiting: list[int] = field(default_factory=list)  # waiting tickets of today


def _seed(app) -> Seeded:
    """Two offices, staff of every role with tokens, and tickets in every status and stage."""
    with app.app_context():
        session = db.session
        world = build_world(session)
        kupang, oebobo = world.office, world.other
        c1, c2 = world.counter(1).id, world.counter(2).id
        o1 = world.counter(1, oebobo).id

        def issue(code: str, now, office: str = "kupang", priority: bool = False) -> Ticket:
            ticket = domain.issue(session, office, code, priority=priority, now=now, actor=SYSTEM)
            session.commit()
            return ticket

        def call(counter_id: int, now) -> Ticket:
            ticket = domain.call_next(session, counter_id, now=now, actor=SYSTEM)
            session.commit()
            assert ticket is not None
            return ticket

        def move(action: str, ticket: Ticket, now, **kwargs: Any) -> None:
            getattr(domain, action)(session, ticket.id, now=now, actor=SYSTEM, **kwargs)
            session.commit()

        def stage(ticket: Ticket, target: str, now, **kwargs: Any) -> None:
            domain.set_stage(session, ticket.id, target, now=now, actor=SYSTEM, **kwargs)
            session.commit()

        # Yesterday: a card printed and not collected (still on the pickup list), and a ticket
        # left waiting (the first action of today cancels it).
        yesterday = T0 - timedelta(days=1)
        issue("A", yesterday)
        card = call(c1, yesterday)
        move("finish", card, yesterday)
        stage(card, "printed", yesterday)
        issue("A", yesterday)

        now = T0
        done: dict[str, Ticket] = {}
        # Cards in every stage, each finished at counter 1 of service A.
        for name in ("ready", "printed", "blocked", "handed_over", "absent"):
            issue("A", now)
            done[name] = call(c1, now)
            move("start", done[name], now)
            move("no_show" if name == "absent" else "finish", done[name], now)
            now += timedelta(minutes=3)
        stage(done["printed"], "printed", now)
        stage(done["blocked"], "blocked", now, reason="no_blank_cards", note="stok habis")
        stage(done["handed_over"], "printed", now)
        stage(done["handed_over"], "handed_over", now)
        kupang_row = session.get(Office, kupang.id)
        kupang_row.card_stock = 1  # one blank card left: the next "printed" succeeds, then 409
        # A finished ticket of a service without cards, and a cancelled one.
        issue("C", now)
        move("finish", call(world.counter(3).id, now), now)
        move("cancel", issue("C", now), now)
        # At the counters: A called at counter 1, A being served at counter 2.
        issue("A", now)
        call(c1, now)
        now += timedelta(minutes=1)
        issue("A", now)
        move("start", call(c2, now), now)
        now += timedelta(minutes=1)
        # Waiting: ordinary and priority tickets in A, B and C.
        issue("A", now)
        issue("A", now, priority=True)
        issue("B", now)
        issue("C", now, priority=True)
        # The other office: one waiting, one called.
        issue("A", now, office="oebobo")
        call(o1, now)
        issue("A", now, office="oebobo")

        seeded = Seeded(tokens=dict(world.tokens))
        for ticket in session.query(Ticket).order_by(Ticket.id):
            seeded.ticket_ids.append(ticket.id)
            seeded.ticket_tokens.append(ticket.token)
            if ticket.stage is not None:
                seeded.cards.append(ticket.id)
            if ticket.status == "waiting" and ticket.day == domain.local_day(T0, "Asia/Makassar"):
                seeded.waiting.append(ticket.id)
        seeded.counter_ids = [c.id for c in session.query(Counter).order_by(Counter.id)]
        session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    """A migrated SQLite database seeded once (with the clock at T0); each test gets a copy."""
    folder = tmp_path_factory.mktemp("fuzz-seed")
    path = folder / "loket.db"
    shutil.copy(sqlite_template, path)
    with pytest.MonkeyPatch.context() as patch:
        import app.domain.clock as clock_module

        patch.setattr(domain, "utcnow", lambda: T0)
        patch.setattr(clock_module, "utcnow", lambda: T0)
        seeded = _seed(create_app(config.TestingConfig(f"sqlite:///{path}", folder)))
    return path, seeded


def _sqlite_copy(request: pytest.FixtureRequest, tmp_path: Path, **overrides: Any):
    """An app on a fresh copy of the seeded SQLite database, with settings overridden."""
    template, seeded = request.getfixturevalue("seeded_sqlite")
    path = tmp_path / "loket.db"
    shutil.copy(template, path)
    settings_ = config.TestingConfig(f"sqlite:///{path}", tmp_path)
    for name, value in overrides.items():
        setattr(settings_, name, value)
    return create_app(settings_), seeded


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_app(request: pytest.FixtureRequest, tmp_path: Path, clock):
    """(app, Seeded) on a fresh copy of the seeded database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        app, seeded = _sqlite_copy(request, tmp_path)
    else:
        url = request.getfixturevalue("postgres_migrated")
        app = create_app(config.TestingConfig(url, tmp_path))
        with app.app_context():
            _truncate_postgres()
            db.engine.dispose()
        seeded = _seed(app)
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Text that databases and drivers treat specially: NUL (PostgreSQL refuses it in text), lone
# surrogates (no UTF-8 encoding), long, non-ASCII and padded text.
HOSTILE_TEXT = ("\x00", "A\x00", "\ud800", "\udfff", "x" * 300, "é中😀", " a ")
# A lone surrogate has no UTF-8 form, so no URL can carry it (JSON bodies can, as \udfff).
IN_URL = tuple(t for t in HOSTILE_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t))


def _fixed_path_parameters(path: str, seeded: Seeded) -> list[dict[str, Any]]:
    """Path parameters naming things that exist, or nearly (with hostile characters), for every
    parameter of ``path``."""
    token = seeded.ticket_tokens[0]
    values = {
        "office": [*seeded.offices, *(f"kupang{t}" for t in IN_URL), *IN_URL],
        "ticket_id": seeded.ticket_ids,
        "counter_id": seeded.counter_ids,
        "token": [*seeded.ticket_tokens, *(f"{token[:12]}{t}" for t in IN_URL)],
    }
    names = re.findall(r"{([a-z_]+)}", path)
    if not set(names) <= set(values):
        return []  # a parameter this file does not know yet: generated values only
    combos: list[dict[str, Any]] = [{}]
    for name in names:
        combos = [{**combo, name: value} for combo in combos for value in values[name]]
    return combos if names else []


def _queries(method: str, path: str, seeded: Seeded) -> list[dict[str, Any]]:
    """Query strings naming real tickets (by code, typed loosely, or by status link)."""
    if (method, path) != ("GET", "/api/v1/offices/{office}/tickets/find"):
        return []
    token = seeded.ticket_tokens[-1]
    typed = ["A-001", "a7", " b 1 ", "C-0002", token, f"https://x/t/{token}", "A-99999"]
    return [{"q": q} for q in (*typed, *IN_URL, f"{token}\x00")]


BODIES_ISSUE = ("POST", "/api/v1/offices/{office}/tickets")

# Bodies that name real services, stages and reasons (generated text rarely does), sent next to
# the generated ones in positive mode.
BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    BODIES_ISSUE: [
        *(
            {"service": code, "priority": priority, "print": paper}
            for code in ("A", "B", "C", "c ", "Z")
            for priority in (False, True)
            for paper in (False, True)
        ),
        *({"service": text[:8]} for text in HOSTILE_TEXT),
        *({"service": "A", "idempotency_key": f"key-{text}"[:64]} for text in HOSTILE_TEXT),
    ],
    ("POST", "/api/v1/tickets/{ticket_id}/transfer"): [
        *({"service": code} for code in ("A", "B", "C", " a", "Z")),
        *({"service": text[:8]} for text in HOSTILE_TEXT),
    ],
    ("POST", "/api/v1/tickets/{ticket_id}/stage"): [
        *({"stage": stage} for stage in STAGES),
        *({"stage": "blocked", "reason": reason} for reason in BLOCK_REASONS),
        {"stage": "blocked", "note": "data ganda"},
        {"stage": "printed", "reason": "other"},
        {"stage": "ready_to_print", "note": "siap"},
        *({"stage": stage, "note": f"catatan {text}"} for stage in STAGES for text in HOSTILE_TEXT),
    ],
    **{
        ("POST", path): [
            *({"phone": phone} for phone in ("081234567890", "+62 812-3456-7890", "0812", "")),
            *({"phone": text[:40]} for text in HOSTILE_TEXT),
        ]
        for path in ("/api/v1/track/{token}/notify", "/api/v1/tickets/{ticket_id}/notify")
    },
}


def _strategy(operation: Any, mode: GenerationMode, seeded: Seeded) -> st.SearchStrategy:
    """Generated requests, and as many that name real (or nearly real) offices, tickets,
    counters, tokens, services, stages and search queries."""
    method, path = operation.method.upper(), operation.path
    document = _DOCUMENT["paths"][path][method.lower()]
    generated = operation.as_strategy(generation_mode=mode)
    paths = _fixed_path_parameters(path, seeded)
    # An invalid request whose only parameters are fixed paths would have nothing left to break.
    only_path_can_be_invalid = "requestBody" not in document and all(
        p["in"] == "path" for p in document.get("parameters", [])
    )
    variants = []
    if paths and not (mode == GenerationMode.NEGATIVE and only_path_can_be_invalid):
        variants.append(
            st.sampled_from(paths).flatmap(
                lambda params: operation.as_strategy(generation_mode=mode, path_parameters=params)
            )
        )
    queries = _queries(method, path, seeded) if mode == GenerationMode.POSITIVE else []
    if queries:
        variants.append(
            st.tuples(st.sampled_from(paths), st.sampled_from(queries)).flatmap(
                lambda pair: operation.as_strategy(
                    generation_mode=mode, path_parameters=pair[0], query=pair[1]
                )
            )
        )
    bodies = BODIES.get((method, path), []) if mode == GenerationMode.POSITIVE else []
    if bodies:
        variants.append(
            st.tuples(st.sampled_from(paths or [{}]), st.sampled_from(bodies)).flatmap(
                lambda pair: operation.as_strategy(
                    generation_mode=mode, path_parameters=pair[0] or None, body=pair[1]
                )
            )
        )
    return st.one_of(generated, *variants) if variants else generated


def _explicit_cases(operation: Any, seeded: Seeded) -> list[Any]:
    """Cases sent first, every time: each hostile text wherever it reaches the database."""
    method, path = operation.method.upper(), operation.path
    hostile_paths = [
        params
        for params in _fixed_path_parameters(path, seeded)
        if not set(params.values()) <= {*seeded.offices, *seeded.ticket_tokens}
        and all(isinstance(v, str) for v in params.values())
    ]
    body = {"service": "A"} if (method, path) == BODIES_ISSUE else NOT_SET
    cases = [operation.Case(path_parameters=params, body=body) for params in hostile_paths]
    cases += [
        operation.Case(path_parameters={"office": "kupang"}, query=query)
        for query in _queries(method, path, seeded)
    ]
    hostile_bodies = [
        b
        for b in BODIES.get((method, path), [])
        if any(isinstance(v, str) and t in v for v in b.values() for t in HOSTILE_TEXT)
    ]
    if (method, path) == BODIES_ISSUE:
        targets: list[dict[str, Any]] = [{"office": "kupang"}]
    elif path.endswith("/transfer"):
        targets = [{"ticket_id": seeded.waiting[0]}]
    elif path.endswith("/stage"):
        targets = [{"ticket_id": ticket_id} for ticket_id in seeded.cards]
    else:
        targets = []
    cases += [
        operation.Case(path_parameters=params, body=b) for params in targets for b in hostile_bodies
    ]
    return cases


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


def _schema(app) -> Any:
    st_config = schemathesis.Config.from_dict(
        # Authentication is chosen by the tests (valid tokens of real roles), not generated.
        {"generation": {"with-security-parameters": False}}
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=st_config)


@pytest.mark.slow
@pytest.mark.parametrize(
    "method,path,mode", OPERATIONS, ids=[f"{m} {p} {mode.value}" for m, p, mode in OPERATIONS]
)
def test_every_response_is_documented_and_no_server_error(fuzz_app, method, path, mode):
    app, seeded = fuzz_app
    operation = _schema(app)[path][method]

    @FUZZ_SETTINGS
    @given(case=_strategy(operation, mode, seeded), role=st.sampled_from(ROLES))
    def fuzz(case, role):
        headers = {"Authorization": f"Bearer {seeded.tokens[role]}"} if role else None
        case.call_and_validate(headers=headers, checks=CHECKS)

    if mode == GenerationMode.POSITIVE:
        for case in _explicit_cases(operation, seeded):
            fuzz = example(case=case, role="admin")(fuzz)
    fuzz()


POSITIVE = sorted({(m, p) for m, p, _ in OPERATIONS})


@pytest.mark.slow
@pytest.mark.parametrize("method,path", POSITIVE, ids=[f"{m} {p}" for m, p in POSITIVE])
def test_rate_limited_answers_are_documented_too(request, tmp_path, clock, method, path):
    """Anonymous requests beyond ANONYMOUS_RATE_LIMIT get 429 (README). With the budget spent
    first, every answer to the fuzzed anonymous requests must still be documented."""
    app, seeded = _sqlite_copy(request, tmp_path, ANONYMOUS_RATE_LIMIT="3 per minute")
    operation = _schema(app)[path][method]
    client = app.test_client()  # loading the schema took one of the three
    statuses = [client.get("/api/v1/offices").status_code for _ in range(3)]
    assert statuses == [200, 200, 429], statuses
    try:

        @settings(FUZZ_SETTINGS, max_examples=12)
        @given(case=_strategy(operation, GenerationMode.POSITIVE, seeded))
        def fuzz(case):
            case.call_and_validate(checks=CHECKS)

        fuzz()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
