"""The card stations: ``/station/print`` (cards waiting to print) and ``/station/handover``
(find a ticket by code or scanned QR, hand the card over). Clerks and administrators."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_babel import gettext
from sqlalchemy import select

from .. import queue
from ..auth import staff_page
from ..extensions import db
from ..i18n import BLOCK_REASON_LABELS, STAGE_LABELS
from ..models import Office
from ..queue.states import BLOCK_REASONS

bp = Blueprint("station", __name__, url_prefix="/station", template_folder="templates")


def _office() -> Office:
    """The clerk's office (an administrator of every office gets the first one)."""
    stmt = select(Office).order_by(Office.name)
    if g.actor.office_id is not None:
        stmt = stmt.where(Office.id == g.actor.office_id)
    office = db.session.scalars(stmt).first()
    if office is None:
        abort(404)
    return office


def _config(office: Office) -> dict:
    return {
        "office": office.slug,
        "snapshot": queue.staff_view(db.session, office, queue.utcnow()),
        "reasons": {r: str(BLOCK_REASON_LABELS[r]) for r in BLOCK_REASONS},
        "stages": {k: str(v) for k, v in STAGE_LABELS.items()},
        "strings": {
            "printed": gettext("Printed"),
            "blocked": gettext("Blocked"),
            "back": gettext("Ready to print again"),
            "handed_over": gettext("Handed over"),
            "confirm_block": gettext("Block"),
            "cancel": gettext("Cancel"),
            "note": gettext("Note (staff only)"),
            "since": gettext("%(m)s min ago"),
            "done_printed": gettext("%(code)s marked printed; the TV calls the resident."),
            "done_blocked": gettext("%(code)s blocked."),
            "done_handed": gettext("%(code)s handed over."),
            "none_ready": gettext("No card is waiting to be printed."),
            "none_printed": gettext("No printed card is waiting for its owner."),
            "none_blocked": gettext("No card is blocked."),
            "not_found": gettext("No ticket matches this code or scan."),
            "not_printed": gettext("This card is not printed yet."),
            "earlier": gettext("from %(day)s"),
            "stock": gettext("Blank cards left"),
            "stock_empty": gettext(
                "No blank cards left: give a temporary certificate (suket) or "
                "activate the digital ID (IKD), and block the cards with "
                '"no blank cards".'
            ),
            "offline": gettext("Connection lost — reconnecting…"),
            "reprint": gettext("Print the queue ticket again"),
            "reprinted": gettext("The ticket %(code)s is printing again."),
        },
    }


@bp.get("/print")
@staff_page("clerk", "admin")
def print_list() -> str:
    office = _office()
    return render_template("station/print.html", office=office, config=_config(office))


@bp.get("/handover")
@staff_page("clerk", "admin")
def handover() -> str:
    office = _office()
    return render_template("station/handover.html", office=office, config=_config(office))
