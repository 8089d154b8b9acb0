"""The counter console: ``/counter`` to pick a counter, ``/counter/{id}`` to work it.

Everything happens through the JSON API with the browser session; the page follows the
office's staff room, so another counter's call takes that ticket off this list at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template
from flask_babel import gettext

from .. import domain
from ..auth import staff_page
from ..extensions import db

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates")

# action -> (keyboard shortcut, label)
SHORTCUTS = {
    "call-next": "N",
    "recall": "R",
    "start": "S",
    "finish": "F",
    "no-show": "A",
    "transfer": "T",
    "pause": "P",
    "undo": "U",
}
UNDO_OFFERED_SECONDS = 10  # how long the console offers to undo an absent or a finish


@bp.get("/")
@staff_page("operator", "admin")
def index() -> str:
    return render_template("counter/index.html", offices=domain.offices_of(db.session, g.actor))


@bp.get("/<id:counter_id>")
@staff_page("operator", "admin")
def console(counter_id: int) -> str:
    counter = domain.counter_by_id(db.session, counter_id)
    if not g.actor.covers(counter.office_id):
        abort(403)
    office = counter.office
    now = domain.utcnow()
    snapshot = domain.staff_view(db.session, office, now)
    config = {
        "office": office.slug,
        "counter": {"id": counter.id, "number": counter.number, "name": counter.name},
        "shortcuts": SHORTCUTS,
        "undo_seconds": UNDO_OFFERED_SECONDS,
        "snapshot": snapshot,
        "strings": {
            "called": gettext("Called"),
            "serving": gettext("Being served"),
            "idle": gettext("No ticket at this counter"),
            "open": gettext("Open"),
            "paused": gettext("Paused"),
            "pause": gettext("Pause"),
            "resume": gettext("Resume"),
            "nobody": gettext("Nobody is waiting."),
            "priority": gettext("Priority"),
            "minutes": gettext("%(m)s min"),
            "called_next": gettext("%(code)s called to this counter."),
            "transferred": gettext("%(code)s now waits for service %(service)s."),
            "done": gettext("%(code)s finished."),
            "absent": gettext("%(code)s marked absent."),
            "undone": gettext("%(code)s is back at this counter, as it was."),
            "requeued": gettext("%(code)s is back in the queue, at its end."),
            "cancelled": gettext("%(code)s is cancelled."),
            "absent_none": gettext("Nobody was marked absent today."),
            "requeue": gettext("Back in the queue"),
            "cancel": gettext("Cancel the ticket"),
            "confirm_cancel": gettext("Cancel ticket %(code)s for good?"),
            "absent_at": gettext("absent at %(time)s, counter %(counter)s"),
            "offline": gettext("Connection lost — reconnecting…"),
            "others": gettext("Other services"),
            "notify_saved": gettext(
                "%(code)s: one SMS will go to %(phone)s when the card is printed."
            ),
        },
        # Card-ready messages: offered while serving a card ticket, when the office sends them.
        "sms": bool(current_app.config.get("SMS_URL")),
    }
    return render_template(
        "counter/console.html", counter=counter, office=office, config=config, shortcuts=SHORTCUTS
    )
