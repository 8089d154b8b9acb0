"""The waiting-room TV: ``/display/{office}``.

The page renders the board as it is, then follows the office's Socket.IO room: it redraws on
every ``board``, flashes and speaks on every ``called`` and ``pickup``, reconnects by itself and
resyncs from the snapshot it gets on joining. Voice clips are served from ``static/voice``.
"""

from __future__ import annotations

import time
from typing import Any

from babel.dates import get_day_names, get_month_names
from flask import Blueprint, abort, g, render_template, url_for
from flask_babel import get_locale, gettext

from app import domain
from app.board_cache import cached_board
from app.extensions import db

from .voice import all_clip_names

bp = Blueprint(
    "display",
    __name__,
    url_prefix="/display",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _strings(locale: str) -> dict[str, Any]:
    return {
        "counter": gettext("Counter"),
        "now_calling": gettext("Now calling"),
        "go_to": gettext("please go to"),
        "nobody": "—",
        "offline": gettext("Connection lost — reconnecting…"),
        "closed": gettext("closed"),
        "pickup_counter": gettext("the pickup counter"),
        "days": [get_day_names("wide", locale=locale)[i] for i in range(7)],
        "months": [get_month_names("wide", locale=locale)[i] for i in range(1, 13)],
    }


@bp.get("/<office>")
def page(slug: str) -> str:
    office = domain.office_by_slug(db.session, slug)
    now = domain.utcnow()
    board = cached_board(db.session, office, now)
    locale = str(get_locale() or "id")
    config = {
        "office": office.slug,
        "seq": board["seq"],
        "utc_offset_min": int(
            domain.clock.local(now, office.timezone).utcoffset().total_seconds() // 60
        ),
        "server_now_ms": int(time.time() * 1000),
        "voice_url": url_for("display.static", filename="voice/"),
        "clips": all_clip_names(),
        "strings": _strings(locale),
        "lang": locale,
    }
    # The phone-ticket code proves presence: only a TV signed in as a screen of the office (or
    # staff) shows it; an anonymous copy of the page elsewhere does not get it.
    actor = g.get("actor")
    phone_code = (
        actor is not None
        and actor.role in domain.access.PERMISSIONS["presence_code"]
        and actor.covers(office.id)
    )
    return render_template(
        "display/tv.html", office=office, board=board, config=config, phone_code=phone_code
    )


@bp.get("/<office>/counter/<int:number>")
def counter_page(slug: str, number: int) -> str:
    """A small screen above one counter: its name and the code called there, huge and live."""
    office = domain.office_by_slug(db.session, slug)
    counter = next((c for c in office.counters if c.number == number), None)
    if counter is None:
        abort(404)
    board = cached_board(db.session, office, domain.utcnow())
    tile = next((c for c in board["counters"] if c["number"] == number), None)
    config = {
        "office": office.slug,
        "counter": number,
        "strings": {
            "closed": gettext("This counter is closed."),
            "offline": gettext("Connection lost — reconnecting…"),
        },
    }
    return render_template(
        "display/counter.html",
        office=office,
        counter=counter,
        code=(tile or {}).get("code") or "",
        is_open=bool(tile and tile["open"]),
        config=config,
    )
