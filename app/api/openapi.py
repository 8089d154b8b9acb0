"""The OpenAPI 3.1 document of the whole API.

Its schemas are generated from the shapes the code builds and checks (``app.domain.shapes``:
replies, events and request bodies, defined once); what is written here is the list of
operations. A test checks it against the registered routes and validates real responses
against it, and schemathesis drives the API from it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from ..domain import shapes

CSV_TABLES = (
    "services",
    "days",
    "hours",
    "counters",
    "operators",
    "pipeline",
    "channels",
    "bookings",
)

STR, INT = {"type": "string"}, {"type": "integer"}
DAY = {"type": "string", "format": "date"}


def _ref(shape: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{shape.__name__}"}


def _array(shape: type) -> dict[str, Any]:
    return {"type": "array", "items": _ref(shape)}


@cache
def schemas() -> dict[str, Any]:
    """components/schemas: every reply, event and body shape, with what they refer to."""
    adapters = [(t.__name__, "serialization", TypeAdapter(t)) for t in shapes.REPLIES] + [
        (b.__name__, "validation", TypeAdapter(b)) for b in shapes.BODIES
    ]
    _keys, definitions = TypeAdapter.json_schemas(
        adapters, ref_template="#/components/schemas/{model}"
    )
    return dict(sorted(definitions["$defs"].items()))


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(shapes.Error)}},
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


PATH_OFFICE = {
    "name": "office",
    "in": "path",
    "required": True,
    "schema": STR,
    "description": "office slug, e.g. kupang",
}
PATH_TICKET = {
    "name": "ticket_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
PATH_COUNTER = {
    "name": "counter_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
PATH_TOKEN = {"name": "token", "in": "path", "required": True, "schema": STR}
AUTH = [{"bearer": []}, {"session": []}]
COMMON_ERRORS = {
    "401": _error("not signed in"),
    "403": _error("role or office may not"),
    "404": _error("unknown id"),
    "409": _error("the move is not allowed now"),
    "400": _error("malformed body"),
    "422": _error("invalid field"),
}


def _public(
    summary: str,
    schema: dict[str, Any],
    params: list | None = None,
    errors: tuple[str, ...] = ("404",),
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [],
            "parameters": params or [],
            "responses": {"200": _json(schema), **{c: _error("see message") for c in errors}},
        }
    }


def _move(
    summary: str,
    param: dict[str, Any],
    body: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    body_required: bool = True,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": AUTH,
        "parameters": [param],
        "responses": {"200": _json(_ref(shapes.Ticket)), **COMMON_ERRORS, **(extra or {})},
    }
    if body is not None:
        op["requestBody"] = _body(body, body_required)
    return {"post": op}


# Any operation can meet these: the anonymous rate limit (with Retry-After), and a database
# that is not answering (nothing was changed; try again).
EVERYWHERE = {
    "429": {
        **_error("too many anonymous requests from this address; wait Retry-After seconds"),
        "headers": {"Retry-After": {"schema": INT}},
    },
    "503": _error("the database is not answering; nothing was changed"),
}


def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    document = _document()
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"] = {**operation["responses"], **EVERYWHERE}
    return document


def _document() -> dict[str, Any]:
    counter_state = {
        "post": {
            "summary": "",
            "security": AUTH,
            "parameters": [PATH_COUNTER],
            "responses": {"200": _json(_ref(shapes.Counter)), **COMMON_ERRORS},
        }
    }
    pause = {"post": {**counter_state["post"], "summary": "Pause the counter (calls nobody)."}}
    resume = {"post": {**counter_state["post"], "summary": "Open the counter again."}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loket API",
            "version": "1.0.0",
            "description": "Queue management for walk-in service counters. Errors are "
            '{"error": {"code", "message"}}; messages follow ?lang=id|en.',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask --app wsgi loket token NAME",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "signed-in browser; writes need X-CSRFToken",
                },
            },
        },
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/api/v1/offices": _public("The offices.", _array(shapes.Office), errors=()),
            "/api/v1/offices/{office}/services": _public(
                "Services of an office; open tells whether tickets are issued now.",
                _array(shapes.Service),
                [PATH_OFFICE],
            ),
            "/api/v1/offices/{office}/counters": _public(
                "Counters of an office.", _array(shapes.Counter), [PATH_OFFICE]
            ),
            "/api/v1/offices/{office}/board": _public(
                "The live board: now serving, recent calls, waiting, pickup.",
                _ref(shapes.Board),
                [PATH_OFFICE],
            ),
            "/api/v1/track/{token}": _public(
                "A ticket's public status (nothing personal).",
                _ref(shapes.Track),
                [{"name": "token", "in": "path", "required": True, "schema": STR}],
            ),
            "/api/v1/offices/{office}/tickets": {
                "post": {
                    "summary": "Issue a ticket (kiosk, operator, admin).",
                    "security": AUTH,
                    "parameters": [
                        PATH_OFFICE,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "pattern": shapes.IDEMPOTENCY_PATTERN},
                            "description": "a repeated request with the same key returns the "
                            "first request's ticket instead of a new one",
                        },
                    ],
                    "requestBody": _body(_ref(shapes.IssueBody)),
                    "responses": {"201": _json(_ref(shapes.Ticket), "issued"), **COMMON_ERRORS},
                }
            },
            "/api/v1/offices/{office}/queue": {
                "get": {
                    "summary": "What staff screens show: the waiting queue in calling order, each "
                    "counter's ticket, cards in production and the blank-card stock (staff).",
                    "security": AUTH,
                    "parameters": [PATH_OFFICE],
                    "responses": {
                        "200": _json(_ref(shapes.StaffView)),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404")},
                    },
                }
            },
            "/api/v1/offices/{office}/tickets/find": {
                "get": {
                    "summary": "Tickets a typed code (A-007) or a scanned status link names: "
                    "today's and cards still in production from earlier days (staff).",
                    "security": AUTH,
                    "parameters": [
                        PATH_OFFICE,
                        {"name": "q", "in": "query", "required": True, "schema": STR},
                    ],
                    "responses": {
                        "200": _json(_array(shapes.Ticket)),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404", "422")},
                    },
                }
            },
            "/api/v1/tickets/{ticket_id}/reprint": {
                "post": {
                    "summary": "Print the ticket again (kiosk, staff of its office).",
                    "security": AUTH,
                    "parameters": [PATH_TICKET],
                    "responses": {"201": _json(_ref(shapes.Ticket), "queued"), **COMMON_ERRORS},
                }
            },
            "/api/v1/offices/{office}/printers": {
                "get": {
                    "summary": "The office's printers: online, last error, queue (staff).",
                    "security": AUTH,
                    "parameters": [PATH_OFFICE],
                    "responses": {
                        "200": _json(_array(shapes.Printer)),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404")},
                    },
                }
            },
            "/api/v1/tickets/{ticket_id}": {
                "get": {
                    "summary": "One ticket (staff of its office).",
                    "security": AUTH,
                    "parameters": [PATH_TICKET],
                    "responses": {"200": _json(_ref(shapes.Ticket)), **COMMON_ERRORS},
                }
            },
            "/api/v1/counters/{counter_id}/call-next": {
                "post": {
                    "summary": "Call the next waiting ticket to this counter.",
                    "security": AUTH,
                    "parameters": [PATH_COUNTER],
                    "responses": {
                        "200": _json(_ref(shapes.Ticket)),
                        "204": {"description": "nobody waits"},
                        **COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/counters/{counter_id}/pause": pause,
            "/api/v1/counters/{counter_id}/resume": resume,
            "/api/v1/tickets/{ticket_id}/recall": _move("Announce the ticket again.", PATH_TICKET),
            "/api/v1/tickets/{ticket_id}/start": _move(
                "The resident is at the counter.", PATH_TICKET
            ),
            "/api/v1/tickets/{ticket_id}/finish": _move(
                "Done; a card-producing service moves the card to ready_to_print.", PATH_TICKET
            ),
            "/api/v1/tickets/{ticket_id}/no-show": _move("The resident did not come.", PATH_TICKET),
            "/api/v1/tickets/{ticket_id}/requeue": _move(
                "Put an absent ticket back at the end of the queue (same day).", PATH_TICKET
            ),
            "/api/v1/tickets/{ticket_id}/undo": _move(
                "Take back an absent or a finish made at most 60 s ago: the ticket is again "
                "called or being served at its counter (409 when too late, moved on since, or "
                "the counter has another ticket).",
                PATH_TICKET,
            ),
            "/api/v1/tickets/{ticket_id}/cancel": _move(
                "Cancel a waiting, called or serving ticket (with an optional note).",
                PATH_TICKET,
                _ref(shapes.NoteBody),
                body_required=False,
            ),
            "/api/v1/tickets/{ticket_id}/transfer": _move(
                "Queue the ticket for another service, keeping its code.",
                PATH_TICKET,
                _ref(shapes.TransferBody),
            ),
            "/api/v1/tickets/{ticket_id}/stage": _move(
                "Move the card: printed (announces pickup), handed_over, blocked, ready_to_print.",
                PATH_TICKET,
                _ref(shapes.StageBody),
            ),
            "/api/v1/overview": _public(
                "Every office: open now or when it opens next, and per service the people "
                "waiting and the estimated wait for someone arriving now.",
                _array(shapes.OfficeOverview),
                errors=(),
            ),
            "/api/v1/offices/{office}/slots": _public(
                "The bookable slots of a service on a day (none on a closed day).",
                _array(shapes.Slot),
                [
                    PATH_OFFICE,
                    {"name": "service", "in": "query", "required": True, "schema": STR},
                    {"name": "date", "in": "query", "required": True, "schema": DAY},
                ],
                errors=("404", "422"),
            ),
            "/api/v1/offices/{office}/bookings": {
                "post": {
                    "summary": "Book a slot (public; nothing personal is asked). 409 slot_full "
                    "or closed; 429 when this address has booked its share today.",
                    "security": [],
                    "parameters": [PATH_OFFICE],
                    "requestBody": _body(_ref(shapes.BookBody)),
                    "responses": {
                        "201": _json(_ref(shapes.Booking), "booked"),
                        **{c: COMMON_ERRORS[c] for c in ("400", "404", "409", "422")},
                    },
                }
            },
            "/api/v1/bookings/{token}": {
                "get": {
                    "summary": "A booking, by the token its link carries.",
                    "security": [],
                    "parameters": [PATH_TOKEN],
                    "responses": {"200": _json(_ref(shapes.Booking)), "404": COMMON_ERRORS["404"]},
                },
                "delete": {
                    "summary": "Cancel a booking: its place is free again.",
                    "security": [],
                    "parameters": [PATH_TOKEN],
                    "responses": {
                        "200": _json(_ref(shapes.Booking)),
                        **{c: COMMON_ERRORS[c] for c in ("404", "409")},
                    },
                },
            },
            "/api/v1/offices/{office}/check-in": {
                "post": {
                    "summary": "Check a booking in on its day (kiosk, staff): its ticket is "
                    "issued, queued at the slot's time, and printed. 409 not_today, too_early, "
                    "too_late, used or cancelled; 404 for an unknown code.",
                    "security": AUTH,
                    "parameters": [PATH_OFFICE],
                    "requestBody": _body(_ref(shapes.CheckInBody)),
                    "responses": {"201": _json(_ref(shapes.Ticket), "issued"), **COMMON_ERRORS},
                }
            },
            "/api/v1/track/{token}/survey": {
                "post": {
                    "summary": "Answer the satisfaction survey (SKM) of a visit, once, after it "
                    "is done (for a card: after handover). 409 survey_not_open or survey_done; "
                    "422 for a missing element or an answer outside 1-4.",
                    "security": [],
                    "parameters": [PATH_TOKEN],
                    "requestBody": _body(_ref(shapes.SurveyBody)),
                    "responses": {
                        "201": _json(_ref(shapes.SurveyAnswered), "answered"),
                        **{c: COMMON_ERRORS[c] for c in ("400", "404", "409", "422")},
                    },
                }
            },
            "/api/v1/track/{token}/notify": {
                "post": {
                    "summary": "Ask for one SMS when the card becomes printed (a service that "
                    "makes a card; public, the link's token is the credential). Asking again "
                    "before it is sent replaces the number, which is never sent back in full. "
                    "422 invalid_phone; 409 not_a_card, handed_over, card_ready, already_sent, "
                    "ticket_closed, or sms_off when the office sends no messages.",
                    "security": [],
                    "parameters": [PATH_TOKEN],
                    "requestBody": _body(_ref(shapes.NoticeBody)),
                    "responses": {
                        "201": _json(_ref(shapes.Notice), "asked"),
                        **{c: COMMON_ERRORS[c] for c in ("400", "404", "409", "422")},
                    },
                }
            },
            "/api/v1/tickets/{ticket_id}/notify": {
                "post": {
                    "summary": "The same, typed by staff of the ticket's office on the "
                    "resident's request (operator, clerk, admin).",
                    "security": AUTH,
                    "parameters": [PATH_TICKET],
                    "requestBody": _body(_ref(shapes.NoticeBody)),
                    "responses": {"201": _json(_ref(shapes.Notice), "asked"), **COMMON_ERRORS},
                }
            },
            "/api/v1/offices/{office}/ikm": {
                "get": {
                    "summary": "The satisfaction index (IKM) over office-local days (admin): "
                    "each element's average, the index and its grade; optionally of one "
                    "service or one counter.",
                    "security": AUTH,
                    "parameters": [
                        PATH_OFFICE,
                        {
                            "name": "from",
                            "in": "query",
                            "schema": DAY,
                            "description": "YYYY-MM-DD (default: the first of this month)",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": DAY,
                            "description": "YYYY-MM-DD (default: today); at most 731 days",
                        },
                        {
                            "name": "service",
                            "in": "query",
                            "schema": STR,
                            "description": "a service's letter",
                        },
                        {
                            "name": "counter",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                            "description": "a counter's number",
                        },
                    ],
                    "responses": {
                        "200": _json(_ref(shapes.Ikm)),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404", "422")},
                    },
                }
            },
            "/api/v1/offices/{office}/report": {
                "get": {
                    "summary": "Report over office-local days (admin); format=csv gives one "
                    "table as CSV (table=services by default).",
                    "security": AUTH,
                    "parameters": [
                        PATH_OFFICE,
                        {
                            "name": "from",
                            "in": "query",
                            "schema": DAY,
                            "description": "YYYY-MM-DD, from 2000-01-01 to 2100-12-31",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": DAY,
                            "description": "YYYY-MM-DD, from 2000-01-01 to 2100-12-31",
                        },
                        {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
                        {
                            "name": "table",
                            "in": "query",
                            "schema": {"enum": list(CSV_TABLES)},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "the report",
                            "content": {
                                "application/json": {"schema": _ref(shapes.Report)},
                                "text/csv": {"schema": STR},
                            },
                        },
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404", "422")},
                    },
                }
            },
        },
    }
