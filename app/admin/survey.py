"""The satisfaction survey (SKM) for the administrator: the index (IKM) of a period with its
element averages, grade, months, services, counters and respondent profile; its CSV; the
printable report in the form offices publish; the office's own wording of the nine elements;
and the residents' suggestions to keep or hide.

The figures come from app.domain.survey (exact sums, one rounding); this module only arranges
them. Suggestions are shown to administrators only, as plain text, with the day, service and
counter of the visit and nothing that names the person.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..csvsafe import render
from ..domain import survey
from ..domain.clock import local
from ..domain.errors import N_, InvalidInput, QueueError
from ..domain.reports import FIRST_DAY, LAST_DAY, parse_day
from ..extensions import db
from ..i18n import local_name, render_message
from ..models import SUGGESTION_STATES, SURVEY_ELEMENTS, Counter, Office, Service, SurveyResponse
from ..survey import PROFILE_LABELS, element_names, filters_from_args
from .blueprint import bp, office_in_scope, saved
from .charts import Band, Series, line_chart
from .filters import fixed, month_label
from .forms import SurveyWordingForm
from .reports import presets

CSV_TABLES = ("elements", "months", "services", "counters")
SUGGESTIONS_PAGE = 50
KEPT_ON_PAPER = 200  # at most this many kept suggestions in the printable report
# The grades' bands on the chart (the index runs from 25 to 100).
GRADE_BANDS = {"A": "#e3f4e8", "B": "#e8f1fc", "C": "#fdf3dc", "D": "#fbe6e4"}


# ---- the period and filters of a request ---------------------------------------------------


def _period(office: Office) -> dict[str, Any]:
    """The period and the service/counter filter of the query string (this month by default).
    Raises QueueError with a sentence for a bad one."""
    today = domain.local_day(domain.utcnow(), office.timezone)
    day_from = parse_day(request.args.get("from"), "from", today.replace(day=1))
    day_to = parse_day(request.args.get("to"), "to", today)
    survey.check_range(day_from, day_to)
    filters = filters_from_args(db.session, office, request.args)
    return {"from": day_from, "to": day_to, **filters}


def _args(q: dict[str, Any], services: list[Service], counters: list[Counter]) -> dict[str, str]:
    """The query string of period ``q`` (for links to the CSV, the printable report...)."""
    out = {"from": q["from"].isoformat(), "to": q["to"].isoformat()}
    service = next((s for s in services if s.id == q["service_id"]), None)
    if service is not None:
        out["service"] = service.code
    counter = next((c for c in counters if c.id == q["counter_id"]), None)
    if counter is not None:
        out["counter"] = str(counter.number)
    return out


def months_of(day_from: date, day_to: date) -> list[str]:
    """Every month ("YYYY-MM") the period touches, in order."""
    out, month = [], day_from.replace(day=1)
    while month <= day_to:
        out.append(month.strftime("%Y-%m"))
        month = (month + timedelta(days=32)).replace(day=1)
    return out


# ---- the figures ---------------------------------------------------------------------------


def day_text(day: date) -> str:
    """A day as the reader says it: "30 November 2026"."""
    return format_date(day, "d MMMM y", locale=str(get_locale() or "id"))


def period_text(q: dict[str, Any]) -> str:
    """The period as the reader says it: "1 November 2026 – 30 November 2026"."""
    start, end = day_text(q["from"]), day_text(q["to"])
    return start if q["from"] == q["to"] else f"{start} – {end}"


def grade_scale() -> list[tuple[str, Decimal, Decimal, str]]:
    """The grades as the regulation tables them: letter, lowest and highest index, words."""
    highs = [Decimal("100.00")] + [low - Decimal("0.01") for low, _, _ in survey.GRADES[:-1]]
    return [
        (letter, low, high, gettext(words))
        for (low, letter, words), high in zip(survey.GRADES, highs, strict=True)
    ]


def grade_words(letter: str | None) -> str:
    return gettext(survey.GRADE_WORDS[letter]) if letter else ""


def _scored(label: str, score: survey.Score | None, **extra: Any) -> dict[str, Any]:
    score = score or survey.EMPTY
    return {
        "label": label,
        "respondents": score.respondents,
        "averages": score.averages,
        "ikm": score.ikm,
        "grade": score.category,
        "grade_words": grade_words(score.category),
        **extra,
    }


def figures(office: Office, q: dict[str, Any]) -> dict[str, Any]:
    """Everything the page, its CSV and the printable report show for period ``q``."""
    session = db.session
    filters = {"service_id": q["service_id"], "counter_id": q["counter_id"]}
    start, end = q["from"], q["to"]
    names = element_names(survey.wordings(session, office.id))
    total = survey.index(session, office.id, start, end, **filters)
    served = survey.served(session, office.id, start, end, **filters)
    daily = survey.indexes_by(session, office.id, start, end, SurveyResponse.day, **filters)
    months = survey.by_month(daily)
    services, counters = survey.services_and_counters(session, office.id)
    per_service = survey.indexes_by(
        session, office.id, start, end, SurveyResponse.service_id, **filters
    )
    per_counter = survey.indexes_by(
        session, office.id, start, end, SurveyResponse.counter_id, **filters
    )
    service_rows = [
        _scored(local_name(s.name, s.name_en), per_service.get(s.id), code=s.code)
        for s in services
        if s.id in per_service or (s.active and q["service_id"] in (None, s.id))
    ]
    counter_rows = [
        _scored(c.name, per_counter.get(c.id), code=str(c.number))
        for c in counters
        if c.id in per_counter or q["counter_id"] in (None, c.id)
    ]
    if None in per_service:  # responses of a service since removed
        service_rows.append(_scored(gettext("(removed)"), per_service[None], code=""))
    if None in per_counter:
        counter_rows.append(_scored(gettext("(removed)"), per_counter[None], code=""))
    profile = survey.profile_counts(session, office.id, start, end, **filters)
    return {
        "names": names,
        "elements": [
            {"code": code, "name": name, "average": average}
            for code, name, average in zip(SURVEY_ELEMENTS, names, total.averages, strict=True)
        ],
        "total": _scored("", total),
        "served": served,
        "share": (total.respondents / served) if served else None,
        "months": [_scored(m, months.get(m)) for m in months_of(start, end)],
        "services": service_rows,
        "counters": counter_rows,
        "profile": [
            {
                "key": key,
                "label": label,
                "rows": [(words, profile[key].get(value, 0)) for value, words in options.items()],
                "not_given": profile[key].get(None, 0),
            }
            for key, (label, options) in PROFILE_LABELS.items()
        ],
        "service": next((s for s in services if s.id == q["service_id"]), None),
        "counter": next((c for c in counters if c.id == q["counter_id"]), None),
        "args": _args(q, services, counters),
        "all_services": services,
        "all_counters": counters,
    }


def month_chart(months: list[dict[str, Any]], fmt: Any) -> Any:
    # Each grade's band reaches up to the next grade's lowest index (A: to 100).
    highs = [100.0] + [float(low) for low, _, _ in survey.GRADES[:-1]]
    bands = [
        Band(float(low), high, GRADE_BANDS[letter], letter)
        for (low, letter, _), high in zip(survey.GRADES, highs, strict=True)
    ]
    return line_chart(
        gettext("Satisfaction index (IKM) per month"),
        [month_label(m["label"], short=True) for m in months],
        [
            Series(
                gettext("IKM"),
                [None if m["ikm"] is None else float(m["ikm"]) for m in months],
                "#1f6feb",
            )
        ],
        low=25,
        high=100,
        bands=bands,
        fmt=fmt,
    )


def _new_suggestions(office: Office) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.office_id == office.id, SurveyResponse.suggestion_state == "new")
        )
        or 0
    )


# ---- the pages -----------------------------------------------------------------------------


def _query_or_error(office: Office) -> tuple[dict[str, Any], str | None]:
    try:
        return _period(office), None
    except QueueError as exc:
        db.session.rollback()
        today = domain.local_day(domain.utcnow(), office.timezone)
        fallback = {"from": today.replace(day=1), "to": today, "service_id": None}
        return {**fallback, "counter_id": None}, render_message(exc.template, exc.params)


@bp.get("/<office>/survey", endpoint="survey")
@staff_page("admin")
def survey_report(slug: str) -> tuple[str, int]:
    office = office_in_scope(slug)
    q, error = _query_or_error(office)
    data = figures(office, q)
    today = domain.local_day(domain.utcnow(), office.timezone)
    return render_template(
        "admin/survey.html",
        office=office,
        q=q,
        period=period_text(q),
        data=data,
        error=error,
        presets=[
            (
                label,
                url_for(
                    "admin.survey",
                    office=office.slug,
                    **{**data["args"], "from": a.isoformat(), "to": b.isoformat()},
                ),
            )
            for label, a, b in presets(today)
        ],
        chart=month_chart(data["months"], lambda v: fixed(v, 2))
        if data["total"]["respondents"]
        else None,
        new_suggestions=_new_suggestions(office),
        grades=grade_scale(),
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
    ), 400 if error else 200


@bp.get("/<office>/survey/print")
@staff_page("admin")
def survey_print(slug: str) -> tuple[str, int]:
    """The report as offices publish it, for the browser's Print."""
    office = office_in_scope(slug)
    q, error = _query_or_error(office)
    data = figures(office, q)
    kept = _suggestions(office, q["from"], q["to"], "kept", 0, KEPT_ON_PAPER, **_only(q))[0]
    return render_template(
        "admin/survey_print.html",
        office=office,
        q=q,
        period=period_text(q),
        data=data,
        error=error,
        kept=kept,
        kept_max=KEPT_ON_PAPER,
        grades=grade_scale(),
        printed_at=_moment(office),
    ), 400 if error else 200


def _moment(office: Office) -> str:
    """Now in the office's time, as the reader says it: "30 November 2026 09:00"."""
    now = local(domain.utcnow(), office.timezone)
    return f"{day_text(now.date())} {now:%H:%M}"


def _only(q: dict[str, Any]) -> dict[str, int | None]:
    return {"service_id": q["service_id"], "counter_id": q["counter_id"]}


def _number(value: Any) -> Any:
    return None if value is None else float(value)


def csv_rows(data: dict[str, Any], table: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of one table of the survey report ``data``."""
    if table == "elements":
        total = data["total"]
        return ["code", "name", "respondents", "average"], [
            [e["code"], e["name"], total["respondents"], _average(e["average"])]
            for e in data["elements"]
        ]
    key = {"months": ["month"], "services": ["code", "name"], "counters": ["number", "name"]}[table]
    header = [*key, "respondents", *SURVEY_ELEMENTS, "ikm", "category"]
    rows = []
    for row in data[table]:
        first = [row["label"]] if table == "months" else [row["code"], row["label"]]
        averages = [_average(a) for a in row["averages"]]
        rows.append([*first, row["respondents"], *averages, _number(row["ikm"]), row["grade"]])
    return header, rows


def _average(value: Any) -> float | None:
    return None if value is None else float(survey.round3(value))


@bp.get("/<office>/survey.csv")
@staff_page("admin")
def survey_csv(slug: str) -> Response:
    office = office_in_scope(slug)
    table = request.args.get("table", "elements")
    if table not in CSV_TABLES:
        raise InvalidInput(
            N_("The parameter table must be one of %(names)s."), names=", ".join(CSV_TABLES)
        )
    q = _period(office)  # a bad one: the error page with its sentence
    data = figures(office, q)
    header, rows = csv_rows(data, table)
    suffix = "" if table == "elements" else f"-{table}"
    filename = f"loket-{office.slug}-ikm-{q['from']}-{q['to']}{suffix}.csv"
    return Response(
        render(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---- the wording ---------------------------------------------------------------------------


@bp.route("/<office>/survey/wording", methods=["GET", "POST"])
@staff_page("admin")
def survey_wording(slug: str) -> Response | tuple[str, int]:
    """The nine elements as this office words them; empty name and question: the default."""
    office = office_in_scope(slug)
    current = {w.code: w for w in survey.wordings(db.session, office.id)}
    form = SurveyWordingForm()
    if request.method == "GET":
        for code, wording in current.items():
            if wording.custom:
                sub = form[code]
                sub["name"].data = wording.name
                sub["question"].data = wording.question
                sub["question_en"].data = wording.question_en
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _save_wording(office, form):
            saved(gettext("The survey's wording is saved."))
            return redirect(url_for("admin.survey_wording", office=office.slug))
        status = 400
    defaults = {
        e.code: {"name": gettext(e.name), "question": gettext(e.question)} for e in survey.ELEMENTS
    }
    return render_template(
        "admin/survey_wording.html",
        office=office,
        form=form,
        codes=SURVEY_ELEMENTS,
        defaults=defaults,
        current=current,
    ), status


def _save_wording(office: Office, form: SurveyWordingForm) -> bool:
    now = domain.utcnow()
    for code in SURVEY_ELEMENTS:
        sub = form[code]
        try:
            survey.set_wording(
                db.session,
                g.actor,
                office,
                code,
                sub["name"].data or "",
                sub["question"].data or "",
                sub["question_en"].data or "",
                now,
            )
        except InvalidInput as err:
            db.session.rollback()
            sub["name"].errors = [*sub["name"].errors, render_message(err.template, err.params)]
            return False
    db.session.commit()
    return True


# ---- suggestions ---------------------------------------------------------------------------


def _suggestions(
    office: Office,
    start: date,
    end: date,
    state: str,
    page: int,
    size: int,
    **filters: int | None,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the suggestions of a period (newest first) and whether older ones follow."""
    counter = aliased(Counter)
    stmt = (
        select(SurveyResponse, Service, counter)
        .outerjoin(Service, Service.id == SurveyResponse.service_id)
        .outerjoin(counter, counter.id == SurveyResponse.counter_id)
        .where(
            SurveyResponse.office_id == office.id,
            SurveyResponse.suggestion.is_not(None),
            SurveyResponse.day >= start,
            SurveyResponse.day <= end,
        )
        .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
        .offset(page * size)
        .limit(size + 1)
    )
    if state != "all":
        stmt = stmt.where(SurveyResponse.suggestion_state == state)
    if filters.get("service_id") is not None:
        stmt = stmt.where(SurveyResponse.service_id == filters["service_id"])
    if filters.get("counter_id") is not None:
        stmt = stmt.where(SurveyResponse.counter_id == filters["counter_id"])
    rows = [
        {
            "id": response.id,
            "day": response.day,
            "day_text": day_text(response.day),
            "service": f"{service.code} — {local_name(service.name, service.name_en)}"
            if service
            else "—",
            "counter": f"{c.number} · {c.name}" if c else "—",
            "text": response.suggestion,
            "state": response.suggestion_state,
        }
        for response, service, c in db.session.execute(stmt)
    ]
    return rows[:size], len(rows) > size


STATE_FILTERS = ("all", *SUGGESTION_STATES)
_MAX_PAGE_DIGITS = 6


def _suggestion_filters(office: Office) -> dict[str, Any]:
    args = request.args
    today = domain.local_day(domain.utcnow(), office.timezone)
    retention = current_app.config["NOTE_RETENTION_DAYS"]
    day_from = parse_day(args.get("from"), "from", today - timedelta(days=retention))
    day_to = parse_day(args.get("to"), "to", today)
    survey.check_range(day_from, day_to)
    state = args.get("state") or "all"
    if state not in STATE_FILTERS:
        raise InvalidInput(N_("Choose what to show from the list."))
    raw = args.get("page") or "0"
    if not raw.isdigit() or not raw.isascii() or len(raw) > _MAX_PAGE_DIGITS:
        raise InvalidInput(N_("The page must be a whole number written with the digits 0 to 9."))
    return {"from": day_from, "to": day_to, "state": state, "page": int(raw)}


@bp.get("/<office>/survey/suggestions")
@staff_page("admin")
def survey_suggestions(slug: str) -> tuple[str, int]:
    office = office_in_scope(slug)
    error = None
    try:
        f = _suggestion_filters(office)
    except QueueError as exc:
        error = render_message(exc.template, exc.params)
        today = domain.local_day(domain.utcnow(), office.timezone)
        retention = current_app.config["NOTE_RETENTION_DAYS"]
        f = {"from": today - timedelta(days=retention), "to": today, "state": "all", "page": 0}
    rows, more = _suggestions(office, f["from"], f["to"], f["state"], f["page"], SUGGESTIONS_PAGE)
    args = {"from": f["from"].isoformat(), "to": f["to"].isoformat(), "state": f["state"]}
    return render_template(
        "admin/survey_suggestions.html",
        office=office,
        rows=rows,
        more=more,
        f=f,
        args=args,
        states=STATE_FILTERS,
        retention=current_app.config["NOTE_RETENTION_DAYS"],
        error=error,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
    ), 400 if error else 200


@bp.post("/<office>/survey/suggestions/<id:response_id>")
@staff_page("admin")
def survey_moderate(slug: str, response_id: int) -> Response:
    """Keep or hide one suggestion, then back to the list as it was."""
    office = office_in_scope(slug)
    new_state = request.form.get("state", "")
    if new_state not in ("kept", "hidden"):
        raise InvalidInput(N_("Keep or hide: choose one of the two buttons."))
    survey.moderate(db.session, g.actor, office, response_id, new_state, domain.utcnow())
    db.session.commit()
    saved(
        gettext("The suggestion is kept for the report.")
        if new_state == "kept"
        else gettext("The suggestion is hidden.")
    )
    back = {k: request.args[k] for k in ("from", "to", "state", "page") if request.args.get(k)}
    return redirect(url_for("admin.survey_suggestions", office=office.slug, **back))
