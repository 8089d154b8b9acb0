"""The card's way after recording: ready to print, printed (ready for pickup), handed over, or
blocked with a reason and back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import STAGES, Office, Ticket
from .access import Actor, require
from .errors import N_, InvalidInput, InvalidTransition
from .events import announcement, record, ticket_changed
from .log import log_move
from .notices import card_handed_over, card_printed
from .states import BLOCK_REASONS, check_stage_move
from .turn import ticket_turn

NOTE_MAX = 500
_STAMP = {
    "ready_to_print": "ready_at",
    "printed": "printed_at",
    "handed_over": "handed_over_at",
    "blocked": "blocked_at",
}


def _take_blank_card(session: Session, office: Office) -> None:
    """Count one blank card out of the office's stock (when it is counted).

    Raises InvalidTransition (``no_blank_cards``) at zero. The office row is already locked by
    the turn, so two clerks cannot take the last card twice.
    """
    if office.card_stock is None:
        return
    if office.card_stock <= 0:
        raise InvalidTransition(
            N_(
                "There are no blank cards left. Give the resident a temporary certificate (suket) "
                "or activate the digital ID (IKD), and mark the card blocked with the reason "
                '"no blank cards" until new stock arrives.'
            ),
            error_code="no_blank_cards",
        )
    office.card_stock -= 1


def set_stage(
    session: Session,
    ticket_id: int,
    stage: str,
    *,
    now: datetime,
    actor: Actor,
    note: str | None = None,
    reason: str | None = None,
) -> Ticket:
    """Move a card to ``stage``. "printed" announces pickup on the TV and the resident's phone.

    A block needs a ``reason`` from BLOCK_REASONS ("other" when only a note is given).
    Raises Forbidden, NotFound, InvalidInput and InvalidTransition.
    """
    require(actor, "stage")
    if stage not in STAGES:
        raise InvalidInput(
            N_("Unknown stage %(stage)s; use one of %(choices)s."),
            stage=stage,
            choices=", ".join(STAGES),
        )
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(N_("The note is too long (at most %(max)s characters)."), max=NOTE_MAX)
    ticket, seq = ticket_turn(session, ticket_id, "stage", actor)
    check_stage_move(ticket.code, ticket.stage, stage)
    if stage == "blocked":
        if reason is None and note:
            reason = "other"
        if reason not in BLOCK_REASONS:
            raise InvalidInput(
                N_("A blocked card needs a reason: one of %(choices)s."),
                error_code="reason_required",
                choices=", ".join(BLOCK_REASONS),
            )
        ticket.block_reason = reason
    elif reason is not None:
        raise InvalidInput(N_("A reason is only given when a card is blocked."))
    else:
        ticket.block_reason = None
    if stage == "printed":
        _take_blank_card(session, ticket.office)
    previous = ticket.stage
    ticket.stage = stage
    setattr(ticket, _STAMP[stage], now)
    if note:
        ticket.stage_note = note
    ticket.updated_at = now
    session.flush()
    log_move(session, ticket, "stage", actor, now, ticket.status, previous, note=note or None)
    record(session, ticket_changed(ticket))
    if stage == "printed":
        record(session, announcement(ticket, None, "pickup", seq))
        card_printed(session, ticket, now)  # the resident's message, once per card
    elif stage == "handed_over":
        card_handed_over(session, ticket, now)  # the number is not needed any more
    return ticket
