"""Socket.IO rooms and event names: the one list, shared by the server (``app.realtime``,
``app.print_jobs``), the pages' scripts (which name the same events) and the print agent.

It lives in ``printer/`` and imports nothing because the print agent runs on a kiosk PC from
this package alone: it must not load the server to know what to listen for.
"""

from __future__ import annotations

# Client -> server.
JOIN = "join"  # {"office": slug} | {"ticket": token} | {"staff": slug}
LEAVE = "leave"
AGENT_READY = "agent_ready"  # a print agent announces itself
PRINT_RESULT = "print_result"  # a print agent printed a job, or could not

# Server -> client.
BOARD = "board"  # an office's TV board
STAFF = "staff"  # the staff room's snapshot: queue, counters, cards, stock
TICKET = "ticket"  # one ticket's status page
CALLED = "called"  # a call or recall, to the TV
PICKUP = "pickup"  # a card ready to be handed over, to the TV
ERROR = "error"  # {"code", "message"}
AGENT_OK = "agent_ok"  # a print agent was accepted
PRINT_JOB = "print_job"  # a job for a print agent


def office_room(slug: str) -> str:
    """The TVs and public pages of an office."""
    return f"office:{slug}"


def ticket_room(token: str) -> str:
    """The status pages following one ticket."""
    return f"ticket:{token}"


def staff_room(slug: str) -> str:
    """The counter, station and admin screens of an office."""
    return f"staff:{slug}"


def agent_room(target: str) -> str:
    """The print agent of one kiosk (``agent:<user id>``)."""
    return f"printer:{target}"
