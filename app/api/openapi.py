"""The OpenAPI 3.1 document of the whole API. A test checks it against the registered routes and
validates real responses against these schemas, so it cannot drift from the code."""

from __future__ import annotations

from typing import Any

from ..domain.states import BLOCK_REASONS
from ..models import STAGES, STATUSES
from .parsing import IDEMPOTENCY_KEY

CSV_TABLES = ("services", "days", "hours", "counters", "operators", "pipeline")


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}
CODE = {"type": "string", "pattern": "^[A-Z]-[0-9]{3,}$"}
REF = {
    name: {"$ref": f"#/components/schemas/{name}"}
    for name in (
        "Error",
        "Ticket",
        "Board",
        "Track",
        "Report",
        "Office",
        "Service",
        "Counter",
        "CallRow",
        "CounterRef",
        "PrintStatus",
        "Printer",
        "StaffView",
    )
}

RATE = _nullable({"type": "number", "minimum": 0, "maximum": 1})
LEG = _obj(
    ["count", "avg_s", "median_s", "p90_s"],
    count=INT,
    avg_s=_nullable(INT),
    median_s=_nullable(INT),
    p90_s=_nullable(INT),
)


def _throughput(**key: Any) -> dict[str, Any]:
    return _obj(
        [*key, "name", "served", "no_show", "service_avg_s", "no_show_rate"],
        **key,
        name=STR,
        served=INT,
        no_show=INT,
        service_avg_s=_nullable(INT),
        no_show_rate=RATE,
    )


SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error"], error=_obj(["code", "message"], code=STR, message=STR)),
    "Office": _obj(["slug", "name", "timezone"], slug=STR, name=STR, timezone=STR),
    "Service": _obj(
        ["code", "name", "produces_card", "open"],
        code=STR,
        name=STR,
        name_en=_nullable(STR),
        colour=STR,
        produces_card=BOOL,
        open=BOOL,
        closed_reason=_nullable(STR),
        active=BOOL,
        daily_quota=_nullable(INT),
        waiting=INT,
    ),
    "Counter": _obj(
        ["id", "number", "name", "services", "open"],
        id=INT,
        number=INT,
        name=STR,
        services={"type": "array", "items": STR},
        open=BOOL,
        call_order=STR,
    ),
    "CounterRef": _obj(["id", "number", "name"], id=INT, number=INT, name=STR),
    "Ticket": _obj(
        [
            "id",
            "code",
            "number",
            "service",
            "status",
            "stage",
            "priority",
            "counter",
            "token",
            "issued_at",
            "called_at",
            "ahead",
            "estimated_wait_s",
            "track_url",
        ],
        id=INT,
        code=CODE,
        number=INT,
        office=STR,
        day=DAY,
        service=STR,
        service_name=STR,
        issued_service=STR,
        status={"enum": list(STATUSES)},
        stage={"enum": [*STAGES, None]},
        block_reason={"enum": [*BLOCK_REASONS, None]},
        priority=BOOL,
        counter=_nullable(REF["CounterRef"]),
        token=STR,
        issued_at=TIME,
        called_at=_nullable(TIME),
        ahead=_nullable(INT),
        estimated_wait_s=_nullable(INT),
        track_url=STR,
        print=_nullable(REF["PrintStatus"]),
    ),
    "StaffView": _obj(
        ["office", "seq", "waiting", "counters", "cards", "card_stock"],
        office=STR,
        seq=INT,
        day=DAY,
        generated_at=TIME,
        card_stock=_nullable(INT),
        services={"type": "array", "items": {"type": "object"}},
        waiting={
            "type": "array",
            "items": _obj(
                ["id", "code", "service", "priority"],
                id=INT,
                code=CODE,
                service=STR,
                priority=BOOL,
                issued_at=TIME,
                queued_at=TIME,
            ),
        },
        counters={
            "type": "array",
            "items": _obj(
                ["id", "number", "name", "open", "services", "ticket"],
                id=INT,
                number=INT,
                name=STR,
                open=BOOL,
                services={"type": "array", "items": STR},
                ticket={"anyOf": [{"type": "object"}, {"type": "null"}]},
            ),
        },
        cards=_obj(
            ["ready_to_print", "printed", "blocked"],
            ready_to_print={"type": "array"},
            printed={"type": "array"},
            blocked={"type": "array"},
        ),
    ),
    "PrintStatus": _obj(
        ["job", "status"],
        job=INT,
        status={"enum": ["pending", "printing", "printed", "failed"]},
        attempts=INT,
        error=_nullable(STR),
        target=STR,
    ),
    "Printer": _obj(
        ["target", "online", "queue"],
        target=STR,
        name=STR,
        online=BOOL,
        last_error=_nullable(STR),
        error_text=STR,
        last_ok_at=_nullable(TIME),
        last_attempt_at=_nullable(TIME),
        queue=INT,
    ),
    "CallRow": _obj(
        ["counter", "counter_name", "code", "service", "called_at"],
        counter=_nullable(INT),
        counter_name=_nullable(STR),
        code=CODE,
        service=_nullable(STR),
        status={"enum": list(STATUSES)},
        called_at=_nullable(TIME),
    ),
    "Board": _obj(
        ["office", "seq", "now_serving", "recent", "waiting", "pickup"],
        office=STR,
        office_name=STR,
        timezone=STR,
        seq=INT,
        day=DAY,
        generated_at=TIME,
        announcement=STR,
        now_serving={"type": "array", "items": REF["CallRow"]},
        call_clips={
            "type": "object",
            "additionalProperties": {"type": "array", "items": STR},
            "description": "Per code in now_serving: the voice clips that announce that call.",
        },
        recent={"type": "array", "items": REF["CallRow"]},
        waiting={"type": "object", "additionalProperties": INT},
        pickup={"type": "array", "items": CODE},
        pickup_items={
            "type": "array",
            "items": _obj(
                ["code", "day"],
                code=CODE,
                service=_nullable(STR),
                day=DAY,
                printed_at=_nullable(TIME),
            ),
        },
        counters={
            "type": "array",
            "items": _obj(
                ["number", "name", "open", "services", "code"],
                number=INT,
                name=STR,
                open=BOOL,
                services={"type": "array", "items": STR},
                code=_nullable(CODE),
                status=_nullable(STR),
            ),
        },
        services={
            "type": "array",
            "items": _obj(
                ["code", "name", "waiting"],
                code=STR,
                name=STR,
                name_en=_nullable(STR),
                colour=STR,
                produces_card=BOOL,
                waiting=INT,
            ),
        },
    ),
    "Track": {
        **_obj(
            ["code", "service", "status", "stage", "ahead", "estimated_wait_s", "counter"],
            code=CODE,
            service=STR,
            service_name=STR,
            service_name_en=_nullable(STR),
            office=STR,
            day=DAY,
            status={"enum": list(STATUSES)},
            stage={"enum": [*STAGES, None]},
            block_reason={"enum": [*BLOCK_REASONS, None]},
            priority=BOOL,
            ahead=_nullable(INT),
            estimated_wait_s=_nullable(INT),
            counter=_nullable(REF["CounterRef"]),
        ),
        "additionalProperties": False,
    },
    "Report": _obj(
        ["from", "to", "services", "hours", "cards"],
        office=STR,
        **{"from": DAY, "to": DAY},
        services={
            "type": "array",
            "items": _obj(
                [
                    "code",
                    "issued",
                    "served",
                    "no_show",
                    "wait_avg_s",
                    "wait_p90_s",
                    "service_avg_s",
                ],
                code=STR,
                name=STR,
                issued=INT,
                served=INT,
                no_show=INT,
                cancelled=INT,
                wait_avg_s=_nullable(INT),
                wait_median_s=_nullable(INT),
                wait_p90_s=_nullable(INT),
                service_avg_s=_nullable(INT),
                no_show_rate=RATE,
            ),
        },
        totals=_obj(
            ["issued", "served", "no_show", "cancelled", "no_show_rate"],
            issued=INT,
            served=INT,
            no_show=INT,
            cancelled=INT,
            no_show_rate=RATE,
            wait_avg_s=_nullable(INT),
            wait_median_s=_nullable(INT),
            wait_p90_s=_nullable(INT),
        ),
        hours={"type": "array", "items": _obj(["hour", "issued"], hour=INT, issued=INT)},
        days={
            "type": "array",
            "items": _obj(
                ["day", "issued", "services"],
                day=DAY,
                issued=INT,
                services={"type": "object", "additionalProperties": INT},
            ),
        },
        counters={"type": "array", "items": _throughput(number=INT)},
        operators={"type": "array", "items": _throughput(username=STR)},
        pipeline=_obj(
            [
                "recorded_to_printed",
                "printed_to_handed_over",
                "recorded_to_handed_over",
                "not_collected",
            ],
            recorded_to_printed=LEG,
            printed_to_handed_over=LEG,
            recorded_to_handed_over=LEG,
            not_collected=INT,
        ),
        cards=_obj(
            list(("ready_to_print", "printed", "handed_over", "blocked")),
            ready_to_print=INT,
            printed=INT,
            handed_over=INT,
            blocked=INT,
        ),
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": REF["Error"]}}}


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
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": AUTH,
        "parameters": [param],
        "responses": {"200": _json(REF["Ticket"]), **COMMON_ERRORS, **(extra or {})},
    }
    if body is not None:
        op["requestBody"] = _body(body)
    return {"post": op}


NOTE = {"type": "string", "maxLength": 500}


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
            "responses": {"200": _json(REF["Counter"]), **COMMON_ERRORS},
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
            "schemas": SCHEMAS,
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
            "/api/v1/offices": _public(
                "The offices.", {"type": "array", "items": REF["Office"]}, errors=()
            ),
            "/api/v1/offices/{office}/services": _public(
                "Services of an office; open tells whether tickets are issued now.",
                {"type": "array", "items": REF["Service"]},
                [PATH_OFFICE],
            ),
            "/api/v1/offices/{office}/counters": _public(
                "Counters of an office.", {"type": "array", "items": REF["Counter"]}, [PATH_OFFICE]
            ),
            "/api/v1/offices/{office}/board": _public(
                "The live board: now serving, recent calls, waiting, pickup.",
                REF["Board"],
                [PATH_OFFICE],
            ),
            "/api/v1/track/{token}": _public(
                "A ticket's public status (nothing personal).",
                REF["Track"],
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
                            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
                            "description": "a repeated request with the same key returns the "
                            "first request's ticket instead of a new one",
                        },
                    ],
                    "requestBody": _body(
                        _obj(
                            ["service"],
                            service={"type": "string", "maxLength": 8},
                            priority=BOOL,
                            print={"type": "boolean", "description": "print a paper ticket"},
                            idempotency_key={"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
                        )
                    ),
                    "responses": {"201": _json(REF["Ticket"], "issued"), **COMMON_ERRORS},
                }
            },
            "/api/v1/offices/{office}/queue": {
                "get": {
                    "summary": "What staff screens show: the waiting queue in calling order, each "
                    "counter's ticket, cards in production and the blank-card stock (staff).",
                    "security": AUTH,
                    "parameters": [PATH_OFFICE],
                    "responses": {
                        "200": _json(REF["StaffView"]),
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
                        "200": _json({"type": "array", "items": REF["Ticket"]}),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404", "422")},
                    },
                }
            },
            "/api/v1/tickets/{ticket_id}/reprint": {
                "post": {
                    "summary": "Print the ticket again (kiosk, staff of its office).",
                    "security": AUTH,
                    "parameters": [PATH_TICKET],
                    "responses": {"201": _json(REF["Ticket"], "queued"), **COMMON_ERRORS},
                }
            },
            "/api/v1/offices/{office}/printers": {
                "get": {
                    "summary": "The office's printers: online, last error, queue (staff).",
                    "security": AUTH,
                    "parameters": [PATH_OFFICE],
                    "responses": {
                        "200": _json({"type": "array", "items": REF["Printer"]}),
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404")},
                    },
                }
            },
            "/api/v1/tickets/{ticket_id}": {
                "get": {
                    "summary": "One ticket (staff of its office).",
                    "security": AUTH,
                    "parameters": [PATH_TICKET],
                    "responses": {"200": _json(REF["Ticket"]), **COMMON_ERRORS},
                }
            },
            "/api/v1/counters/{counter_id}/call-next": {
                "post": {
                    "summary": "Call the next waiting ticket to this counter.",
                    "security": AUTH,
                    "parameters": [PATH_COUNTER],
                    "responses": {
                        "200": _json(REF["Ticket"]),
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
                "Cancel a waiting, called or serving ticket.", PATH_TICKET
            ),
            "/api/v1/tickets/{ticket_id}/transfer": _move(
                "Queue the ticket for another service, keeping its code.",
                PATH_TICKET,
                _obj(["service"], service={"type": "string", "maxLength": 8}),
            ),
            "/api/v1/tickets/{ticket_id}/stage": _move(
                "Move the card: printed (announces pickup), handed_over, blocked, ready_to_print.",
                PATH_TICKET,
                _obj(
                    ["stage"],
                    stage={"enum": list(STAGES)},
                    note=NOTE,
                    reason={"enum": list(BLOCK_REASONS)},
                ),
            ),
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
                                "application/json": {"schema": REF["Report"]},
                                "text/csv": {"schema": STR},
                            },
                        },
                        **{c: COMMON_ERRORS[c] for c in ("401", "403", "404", "422")},
                    },
                }
            },
        },
    }
