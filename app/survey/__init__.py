"""The satisfaction survey's pages: ``/t/{token}/survey`` on the resident's phone (from the
status page, once the visit is over) and ``/survey/{office}/counter/{number}``, a tablet at a
counter that offers the survey of the ticket just finished there.

Both are plain forms (no script needed to answer); the tablet page has a small script that
reloads it when the counter finishes another ticket. Nothing personal is asked: the profile
(age band, sex, education, occupation) is optional and only ever counted in aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain import survey
from ..domain.errors import InvalidInput, QueueError
from ..extensions import db
from ..i18n import in_english, local_name, render_message
from ..models import Counter, Office, Ticket

bp = Blueprint("survey", __name__, template_folder="templates")

# Who may run the tablet page of a counter (a screen signed in for the office, or staff).
TABLET_ROLES = ("display", "kiosk", "operator", "clerk", "admin")

PROFILE_LABELS: dict[str, Any] = {
    "age_band": (
        lazy_gettext("Age"),
        {
            "lt20": lazy_gettext("under 20"),
            "20_29": "20–29",
            "30_39": "30–39",
            "40_49": "40–49",
            "50_59": "50–59",
            "60p": lazy_gettext("60 or over"),
        },
    ),
    "sex": (lazy_gettext("Sex"), {"f": lazy_gettext("Female"), "m": lazy_gettext("Male")}),
    "education": (
        lazy_gettext("Education"),
        {
            "sd": lazy_gettext("Primary school or less"),
            "smp": lazy_gettext("Junior high school"),
            "sma": lazy_gettext("Senior high school"),
            "d3": lazy_gettext("Diploma (D1–D3)"),
            "s1": lazy_gettext("Bachelor (S1/D4)"),
            "s2": lazy_gettext("Master or doctorate (S2/S3)"),
        },
    ),
    "occupation": (
        lazy_gettext("Occupation"),
        {
            "pns": lazy_gettext("Civil servant"),
            "tni_polri": lazy_gettext("Military or police"),
            "swasta": lazy_gettext("Private employee"),
            "wirausaha": lazy_gettext("Self-employed"),
            "pelajar": lazy_gettext("Student"),
            "lainnya": lazy_gettext("Other"),
        },
    ),
}


def element_name(wording: survey.Wording) -> str:
    return wording.name if wording.custom else gettext(wording.name)


def element_names(wordings: Iterable[survey.Wording]) -> list[str]:
    """The elements' names in the reader's language (an office's own names as written)."""
    return [element_name(w) for w in wordings]


def questions(wordings: Iterable[survey.Wording]) -> list[dict[str, Any]]:
    """What the form shows: per element its code, question and the four answers' words."""
    english = in_english()
    out = []
    for w in wordings:
        if w.custom:
            text = (w.question_en or w.question) if english else w.question
        else:
            text = gettext(w.question)
        out.append(
            {
                "code": w.code,
                "name": element_name(w),
                "question": text,
                "answers": [(i + 1, gettext(word)) for i, word in enumerate(w.words)],
            }
        )
    return out


def filters_from_args(
    session: Session, office: Office, args: Mapping[str, str]
) -> dict[str, int | None]:
    """``service`` (a letter) and ``counter`` (a number) of a report's query, as ids."""
    out: dict[str, int | None] = {"service_id": None, "counter_id": None}
    letter = (args.get("service") or "").strip()
    if letter:
        out["service_id"] = domain.service_by_code(session, office, letter.upper()[:8]).id
    number = (args.get("counter") or "").strip()
    if number:
        if not number.isdigit() or len(number) > 6:
            raise InvalidInput(survey.N_("counter must be a counter's number."))
        found = next((c for c in office.counters if c.number == int(number)), None)
        if found is None:
            raise InvalidInput(
                survey.N_("This office has no counter %(number)s."), number=int(number)
            )
        out["counter_id"] = found.id
    return out


def form_values(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], str]:
    """The answers, profile and suggestion of a submitted form. A missing answer stays
    missing (the domain names it); a value that is not 1-4 becomes 0 (refused there)."""
    answers: dict[str, Any] = {}
    for code in survey.SURVEY_ELEMENTS:
        raw = form.get(code, "")
        if raw:
            answers[code] = int(raw) if raw in ("1", "2", "3", "4") else 0
    profile = {key: form.get(key, "") for key in survey.PROFILE_CHOICES}
    return answers, profile, form.get("suggestion", "")


def _render(template: str, ticket: Ticket, status: int = 200, **extra: Any) -> tuple[str, int]:
    office = ticket.office
    return (
        render_template(
            template,
            office=office,
            ticket=ticket,
            service=local_name(ticket.service.name, ticket.service.name_en),
            questions=questions(survey.wordings(db.session, office.id)),
            profile=PROFILE_LABELS,
            suggestion_max=survey.SUGGESTION_MAX,
            **extra,
        ),
        status,
    )


def _answer(ticket: Ticket, source: str) -> tuple[str | None, dict[str, Any]]:
    """Record the posted form for ``ticket``: (None, {}) when done, else the refusal's code and
    sentence with what was chosen, to show the form again."""
    answers, profile, suggestion = form_values(request.form)
    try:
        survey.submit(
            db.session,
            ticket,
            answers,
            domain.utcnow(),
            suggestion=suggestion,
            profile=profile,
            source=source,
        )
        survey.commit_response(db.session)
    except QueueError as err:
        db.session.rollback()
        return err.code, {
            "error": render_message(err.template, err.params),
            "chosen": dict(request.form),
        }
    return None, {}


@bp.route("/t/<token>/survey", methods=["GET", "POST"])
def phone(token: str) -> Any:
    ticket = domain.ticket_by_token(db.session, token)
    if request.method == "POST":
        code, shown = _answer(ticket, "status")
        if code is None:
            return redirect(url_for("survey.phone", token=token, done=1), 303)
        status = 422 if code == "invalid_field" else 409
        return _render("survey/phone.html", ticket, status, state=code, **shown)
    state = survey.state(db.session, ticket, domain.utcnow())
    return _render("survey/phone.html", ticket, state=state, chosen={})


def _counter(slug: str, number: int) -> Counter:
    office = domain.office_by_slug(db.session, slug)
    if not g.actor.covers(office.id):
        abort(403)
    found = next((c for c in office.counters if c.number == number), None)
    if found is None:
        abort(404)
    return found


@bp.route("/survey/<office>/counter/<int:number>", methods=["GET", "POST"])
@staff_page(*TABLET_ROLES)
def tablet(slug: str, number: int) -> Any:
    counter = _counter(slug, number)
    now = domain.utcnow()
    if request.method == "POST":
        ticket = survey.tablet_ticket(db.session, counter, now)
        posted = request.form.get("ticket", "")
        if ticket is None or str(ticket.id) != posted:
            # Another ticket was finished meanwhile, or this one was answered on a phone.
            return redirect(url_for("survey.tablet", office=slug, number=number), 303)
        code, shown = _answer(ticket, "tablet")
        if code is None:
            return redirect(url_for("survey.tablet", office=slug, number=number, done=1), 303)
        return _tablet(counter, ticket, 422 if code == "invalid_field" else 409, **shown)
    return _tablet(counter, survey.tablet_ticket(db.session, counter, now))


def _tablet(
    counter: Counter, ticket: Ticket | None, status: int = 200, **extra: Any
) -> tuple[str, int]:
    office = counter.office
    config = {
        "office": office.slug,
        "counter": counter.number,
        "ticket": ticket.id if ticket else None,
        "current": url_for("survey.tablet_current", office=office.slug, number=counter.number),
        "thanks_seconds": 8,
    }
    return (
        render_template(
            "survey/tablet.html",
            office=office,
            counter=counter,
            ticket=ticket,
            service=local_name(ticket.service.name, ticket.service.name_en) if ticket else "",
            questions=questions(survey.wordings(db.session, office.id)),
            profile=PROFILE_LABELS,
            suggestion_max=survey.SUGGESTION_MAX,
            config=config,
            chosen=extra.pop("chosen", {}),
            **extra,
        ),
        status,
    )


@bp.get("/survey/<office>/counter/<int:number>/current.json")
@staff_page(*TABLET_ROLES)
def tablet_current(slug: str, number: int) -> Response:
    """Which ticket the tablet should ask about now (its id, or null): the page reloads when
    this changes."""
    counter = _counter(slug, number)
    ticket = survey.tablet_ticket(db.session, counter, domain.utcnow())
    return jsonify({"ticket": ticket.id if ticket else None})
