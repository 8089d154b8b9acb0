"""The ticket's journey: every allowed move in one table.

issued (waiting) -> called -> serving -> done
called/serving -> no_show -> (requeue, same day) waiting
no_show/done -> (undo, within seconds, counter free) the called/serving it was
waiting/called/serving -> transfer -> waiting in another service (same code)
waiting/called/serving/no_show -> cancelled (day rollover or staff)
done, for a service that produces a card:
    ready_to_print -> printed -> handed_over
    ready_to_print/printed -> blocked -> ready_to_print/printed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import N_, InvalidTransition

ISSUED = "waiting"  # the status of a new ticket
UNDO_TARGETS = frozenset({"called", "serving"})  # what an undo may give back (from the log)


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str
    refusal: str  # the sentence when the ticket is in another status


def _move(action: str, sources: set[str], target: str, refusal: str) -> Move:
    return Move(action, frozenset(sources), target, refusal)


STATUS_MOVES: dict[str, Move] = {
    m.action: m
    for m in (
        _move(
            "call",
            {"waiting"},
            "called",
            N_("Ticket %(code)s cannot be called: it is %(status)s, not waiting."),
        ),
        _move(
            "recall",
            {"called"},
            "called",
            N_(
                "Ticket %(code)s can only be called again while it is called to a counter; "
                "it is %(status)s."
            ),
        ),
        _move(
            "start",
            {"called"},
            "serving",
            N_("Ticket %(code)s can only be started after it has been called; it is %(status)s."),
        ),
        _move(
            "finish",
            {"called", "serving"},
            "done",
            N_(
                "Ticket %(code)s can only be finished while it is called or being served; "
                "it is %(status)s."
            ),
        ),
        _move(
            "no_show",
            {"called", "serving"},
            "no_show",
            N_(
                "Ticket %(code)s can only be marked absent while it is called or being served; "
                "it is %(status)s."
            ),
        ),
        _move(
            "requeue",
            {"no_show"},
            "waiting",
            N_(
                "Only a ticket marked absent can be put back in the queue; ticket %(code)s is "
                "%(status)s."
            ),
        ),
        _move(
            "transfer",
            {"waiting", "called", "serving"},
            "waiting",
            N_(
                "Ticket %(code)s can only be transferred while it is waiting, called or being "
                "served; it is %(status)s."
            ),
        ),
        # Undo a slip (absent or finished by mistake): back to what the log says it was, at the
        # same counter, within UNDO_SECONDS (app.domain.calling.undo); the target comes from the
        # log, so it is not fixed here.
        _move(
            "undo",
            {"no_show", "done"},
            "",
            N_(
                "Only a ticket just marked absent or finished can be undone; ticket %(code)s is "
                "%(status)s."
            ),
        ),
        _move(
            "cancel",
            {"waiting", "called", "serving", "no_show"},
            "cancelled",
            N_(
                "Ticket %(code)s can only be cancelled while it is waiting, called, being "
                "served or marked absent; it is %(status)s."
            ),
        ),
    )
}

# Card stages: from -> the stages a clerk may move it to. A card enters "ready_to_print" when its
# recording is finished (see calling.finish); "handed_over" is the end.
STAGE_MOVES: dict[str, frozenset[str]] = {
    "ready_to_print": frozenset({"printed", "blocked"}),
    "printed": frozenset({"handed_over", "blocked"}),
    "blocked": frozenset({"ready_to_print", "printed"}),
    "handed_over": frozenset(),
}

BLOCK_REASONS = ("not_print_ready", "duplicate_record", "no_blank_cards", "other")


def check_status_move(action: str, code: str, status: str) -> Move:
    """Return the move for ``action`` from ``status``.

    Raises InvalidTransition with a sentence naming the ticket when the table does not allow it.
    """
    move = STATUS_MOVES[action]
    if status not in move.sources:
        raise InvalidTransition(move.refusal, code=code, status=status)
    return move


def change_status(ticket: Any, action: str, now: datetime, *, undo_to: str | None = None) -> str:
    """Move ``ticket`` by ``action`` as the table allows, and return the status it had. Every
    status change of the domain goes through here (a call-next takes its ticket in one SQL
    statement built from the same row of the table).

    ``undo_to``: for "undo", the status the ticket's log says it had (called or serving).
    Raises InvalidTransition with a sentence naming the ticket.
    """
    move = check_status_move(action, ticket.code, ticket.status)
    target = move.target
    if action == "undo":
        if undo_to not in UNDO_TARGETS:
            raise InvalidTransition(
                N_("Ticket %(code)s has moved on since; it cannot be undone from here."),
                code=ticket.code,
            )
        target = undo_to
    previous = ticket.status
    ticket.status = target
    ticket.updated_at = now
    return previous


def check_stage_move(code: str, stage: str | None, target: str) -> None:
    """Raise InvalidTransition unless a clerk may move a card from ``stage`` to ``target``."""
    if stage is None:
        raise InvalidTransition(
            N_(
                "Ticket %(code)s has no card in production: it has not been finished at a "
                "counter of a service that produces a card."
            ),
            code=code,
        )
    if target not in STAGE_MOVES.get(stage, frozenset()):
        raise InvalidTransition(
            N_("The card of ticket %(code)s is %(stage)s; it cannot be set to %(target)s."),
            code=code,
            stage=stage,
            target=target,
        )
