"""Fuzzing the Socket.IO ``join`` event with Hypothesis, through flask_socketio's test client.

README: a join the server cannot use is answered with ``error`` {"code", "message"} and the
connection stays up. So for every payload - any JSON value, and dicts with the keys office,
ticket and staff holding values of any type and length - the server must answer with exactly one
event: ``board``, ``ticket`` or ``staff`` for a join it can use, else one ``error`` whose message
is a sentence. It must never raise, and the same connection must afterwards still get a ``board``
for ``{"office": "kupang"}``.

Each test runs on SQLite and on PostgreSQL (which, unlike SQLite, refuses NUL characters in text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import domain
from app.extensions import db, socketio
from app.models import Ticket
from app.realtime import MAX_KEY  # longer office slugs and tokens are not looked up
from tests.conftest import build_world
from tests.factories import T0

SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Known:
    """What exists: office slugs, ticket tokens, and what the signed-in connection may join."""

    offices: set[str]
    tokens: set[str]
    operator_token: str  # an API token of an operator of kupang
    staff_of: set[str] = field(default_factory=set)  # staff rooms the connection may join
    joined: set[str] = field(default_factory=set)  # offices whose room the connection is in


@pytest.fixture(autouse=True)
def unlimited_joins(any_app) -> None:
    """These tests send hundreds of joins on one connection to test what each answer is; the
    join limits have their own tests (tests/realtime/test_join_limits.py)."""
    guard = any_app.extensions["loket_join_guard"]
    guard.per_connection.limit = guard.per_address.limit = 0


@pytest.fixture
def known(any_app) -> Known:
    """Two offices with staff (tokens) and a few tickets, on each database."""
    with any_app.app_context():
        world = build_world(db.session)
        for code in "ABC":
            domain.issue(
                db.session, "kupang", code, priority=False, now=T0, actor=domain.Actor.system()
            )
        db.session.commit()
        tokens = {t.token for t in db.session.query(Ticket)}
        return Known({"kupang", "oebobo"}, tokens, world.tokens["operator"])


# ---- strategies ----------------------------------------------------------------------------

# Any text: control characters, NUL, long and non-ASCII text. Lone surrogates (which JSON can
# carry as "\udfff" escapes) only where a test says so.
ODD = ["\x00", "\n", "\u200b", "é", "😀", "/", "%", "'", '"', "\\"]
CHARACTERS = st.one_of(st.characters(), st.sampled_from(ODD))
SURROGATES = st.characters(categories=["Cs"])


def texts(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(characters, max_size=20),
        st.text(characters, min_size=MAX_KEY - 2, max_size=MAX_KEY + 2),
        st.integers(1, 20_000).map(lambda n: "k" * n),
    )


TEXT = texts(CHARACTERS)


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)
        ),
        max_leaves=10,
    )


JSON_VALUES = json_values(TEXT)
KEYS = st.one_of(
    st.sampled_from(["office", "ticket", "staff"]),
    st.sampled_from(["Office", "office ", "ticket\x00", "", "rooms", "leave"]),
    TEXT,
)


def near(values: list[str]) -> st.SearchStrategy[str]:
    """Real slugs or tokens, and nearly real ones: padded, cased, cut, or with odd characters."""
    real = st.sampled_from(sorted(values))
    return st.one_of(
        real,
        real.map(str.upper),
        real.map(lambda v: f" {v}"),
        real.map(lambda v: f"{v}\x00"),
        real.map(lambda v: v[:-1]),
        real.map(lambda v: v + "x" * MAX_KEY),
    )


def join_payloads(known: Known) -> st.SearchStrategy[Any]:
    """Dicts with the keys office/ticket/staff (alone, together or with others) holding values
    of any type and length, real ones and nearly real ones among them."""
    names = sorted(known.offices)
    values = st.one_of(JSON_VALUES, near(names), near(sorted(known.tokens)))
    return st.one_of(
        st.builds(lambda k, v: {k: v}, st.sampled_from(["office", "ticket", "staff"]), values),
        st.dictionaries(KEYS, values, min_size=1, max_size=3),
        st.fixed_dictionaries({"office": near(names), "ticket": near(sorted(known.tokens))}),
    )


# ---- the model of the answer ---------------------------------------------------------------


def expected_event(payload: Any, known: Known) -> str:
    """The event a join with ``payload`` is answered with (README: the rooms; else error)."""
    if isinstance(payload, dict) and len(payload) == 1:
        ((key, value),) = payload.items()
        if isinstance(value, str) and 0 < len(value) <= MAX_KEY:
            if key == "office" and value in known.offices:
                return "board"
            if key == "ticket" and value in known.tokens:
                return "ticket"
            if key == "staff" and value in known.staff_of:
                return "staff"
    return "error"


def answers(received: list[dict], known: Known) -> list[dict]:
    """What answers a join among what the connection received meanwhile. The board of an office
    whose room it was already in may be that room's broadcast of a change, which reaches a room
    at any moment (it once landed between setting aside and this join): such boards are set
    aside while something else was received too."""
    kept = list(received)
    for event in received:
        broadcast = event["name"] == "board" and event["args"][0].get("office") in known.joined
        if broadcast and len(kept) > 1:
            kept.remove(event)
    return kept


def check_answer(client, payload: Any, known: Known) -> None:
    """Exactly one event, the expected one; an error carries a code and a sentence."""
    received = answers(client.get_received(), known)
    names = [m["name"] for m in received]
    expected = expected_event(payload, known)
    assert names == [expected], (payload, received)
    if expected == "error":
        check_error(received[0])
    if expected == "board":
        assert received[0]["args"][0]["office"] == payload["office"], (payload, received)
        known.joined.add(payload["office"])


def check_error(event: dict) -> None:
    """An ``error`` event carries one {"code", "message"}: a snake_case code and a sentence."""
    args = event["args"]
    assert len(args) == 1 and isinstance(args[0], dict), args
    error = args[0]
    assert set(error) == {"code", "message"}, error
    assert isinstance(error["code"], str) and re.fullmatch(r"[a-z_]+", error["code"]), error
    message = error["message"]
    assert isinstance(message, str) and len(message) > 10, error
    assert message[0].isupper() and message.rstrip().endswith("."), error


def emit_join(client, *arguments: Any) -> None:
    """Send ``join``; a handler that raises is a failure naming the payload."""
    try:
        client.emit("join", *arguments)
    except Exception as err:  # any exception is the failure being reported
        raise AssertionError(f"join {arguments!r} raised {err!r}") from err


def still_connected(client, known: Known) -> None:
    """The connection stays up: a valid join still gets its board."""
    assert client.is_connected()
    emit_join(client, {"office": "kupang"})
    received = answers(client.get_received(), known)
    assert [m["name"] for m in received] == ["board"], received
    assert received[0]["args"][0]["office"] == "kupang"
    known.joined.add("kupang")


def join_once(client, payload, known) -> None:
    """One join: exactly one answer, the right one, and the connection still up. What the
    rooms it is in received before (a board broadcast of a change made before this example) is
    not an answer to this join: set aside first."""
    client.get_received()
    emit_join(client, payload)
    check_answer(client, payload, known)
    still_connected(client, known)


def run_then_disconnect(client, test) -> None:
    try:
        test()
    finally:
        client.disconnect()


# ---- tests ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_any_json_value_as_join_gets_one_answer_and_the_connection_stays(any_app, known):
    client = socketio.test_client(any_app)

    @SETTINGS
    @given(payload=JSON_VALUES)
    @example(payload=None)
    @example(payload=[])
    @example(payload={})
    @example(payload="kupang")
    @example(payload=["office", "kupang"])
    @example(payload={"office": "kupang", "ticket": "x"})
    def join(payload):
        join_once(client, payload, known)

    run_then_disconnect(client, join)


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "operator"])
def test_join_dicts_of_any_values_get_one_answer_and_the_connection_stays(
    any_app, known, signed_in
):
    auth = {"token": known.operator_token} if signed_in else None
    client = socketio.test_client(any_app, auth=auth)
    known.staff_of = {"kupang"} if signed_in else set()  # the operator's own office only

    @SETTINGS
    @given(payload=join_payloads(known))
    @example(payload={"office": "kupang\x00"})
    @example(payload={"ticket": "\x00" * 20})
    @example(payload={"staff": "oebobo"})
    @example(payload={"office": "x" * 10_000})
    def join(payload):
        join_once(client, payload, known)

    run_then_disconnect(client, join)


@pytest.mark.slow
def test_join_with_lone_surrogates_in_its_text_gets_one_error(any_app, known):
    """JSON text may hold lone surrogates ("\udfff"), which have no UTF-8 form."""
    client = socketio.test_client(any_app, auth={"token": known.operator_token})
    known.staff_of = {"kupang"}
    key = st.sampled_from(["office", "ticket", "staff"])
    text = st.one_of(
        st.text(st.one_of(CHARACTERS, SURROGATES), min_size=1, max_size=MAX_KEY).filter(
            lambda t: any(0xD800 <= ord(c) <= 0xDFFF for c in t)
        ),
        st.tuples(near(["kupang", *known.tokens]), SURROGATES).map("".join),
    )

    @SETTINGS
    @given(payload=st.builds(lambda k, v: {k: v}, key, text))
    @example(payload={"office": "\udfff"})
    @example(payload={"ticket": "\ud800" * 10})
    @example(payload={"staff": "kupang\udfff"})
    def join(payload):
        join_once(client, payload, known)

    run_then_disconnect(client, join)


@pytest.mark.slow
def test_join_with_any_number_of_arguments_gets_one_answer(any_app, known):
    """A client may send the event with no argument or with several."""
    client = socketio.test_client(any_app)

    @SETTINGS
    @given(arguments=st.lists(st.one_of(JSON_VALUES, join_payloads(known)), max_size=3))
    @example(arguments=[])
    @example(arguments=[{"office": "kupang"}, 1])
    @example(arguments=["x", "y"])
    def join(arguments):
        emit_join(client, *arguments)
        received = answers(client.get_received(), known)
        names = [m["name"] for m in received]
        first = arguments[0] if arguments else None
        # The extra arguments may be ignored (the first one is the join) or refused.
        allowed = {expected_event(first, known), "error"}
        assert len(names) == 1 and names[0] in allowed, (arguments, received)
        if names == ["error"]:
            check_error(received[0])
        still_connected(client, known)

    try:
        join()
    finally:
        client.disconnect()
