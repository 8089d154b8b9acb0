"""The satisfaction survey's administration: the index (IKM) of a period worked out by hand for
two months, two services and two counters, on the page and in its CSV; the printable report;
the office's own wording of an element, shown to residents and reset; moderating suggestions."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Service, SurveyResponse
from tests.web import scan

from .conftest import audit, errors, text

PERIOD = "from=2026-10-01&to=2026-11-30"


def _answers(*values: int) -> dict[str, int]:
    """u1..u9 from nine values, or all nine the same from one."""
    values = values * 9 if len(values) == 1 else values
    assert len(values) == 9
    return {f"u{i + 1}": v for i, v in enumerate(values)}


def said(suggestion: str, state: str) -> dict[str, str]:
    """A response's suggestion and its moderation state."""
    return {"suggestion": suggestion, "suggestion_state": state}


def add_responses(app, world, rows) -> None:
    """Insert survey responses directly: (day, service letter, counter number, answers, extra)."""
    with app.app_context():
        services = {
            s.code: s.id
            for s in db.session.scalars(select(Service).where(Service.office_id == world.office.id))
        }
        for day, service, counter, answers, extra in rows:
            db.session.add(
                SurveyResponse(
                    office_id=world.office.id,
                    service_id=services[service],
                    counter_id=world.counter(counter).id,
                    day=day,
                    answered_at=datetime.combine(day, time(1), UTC),  # 09:00 in Kupang
                    source="status",
                    **answers,
                    **extra,
                )
            )
        db.session.commit()


@pytest.fixture
def seeded(app, world, api):
    """Six answers over two months (worked out below), and eight visits served on 30 November.

    November 2026, four answers:
      r1  A at counter 1: all 4
      r2  A at counter 1: all 3, but u4 = 1
      r3  C at counter 3: all 2
      r4  C at counter 3: 4 4 4 4 3 3 3 3 2
      sums u1..u9: 13 13 13 11 12 12 12 12 11 -> averages 3.25 x3, 2.75, 3.00 x4, 2.75
      mean of the nine averages = 27.25 / 9 = 3.02777..., x 25 = 75.694... -> 75.69: C
    October 2026, two answers:
      r5  C at counter 1: all 3
      r6  A at counter 1: all 4
      every average 3.5 -> 3.5 x 25 = 87.50: B
    The whole period, six answers: sums 20 20 20 18 19 19 19 19 18 (172 in all)
      averages 3.333 3.333 3.333 3.000 3.167 3.167 3.167 3.167 3.000
      IKM = 172 / (6 x 9) x 25 = 79.6296... -> 79.63: B
    Per service: A = r1 r2 r6: 8 elements sum 11, u4 sums 9 -> 97 / 27 x 25 = 89.81: A
                 C = r3 r4 r5: 9 9 9 9 8 8 8 8 7 = 75 -> 75 / 27 x 25 = 69.44: C
    Per counter: 1 = r1 r2 r5 r6: 8 elements sum 14, u4 sums 12 -> 124 / 36 x 25 = 86.11: B
                 3 = r3 r4: 6 6 6 6 5 5 5 5 4 = 48 -> 48 / 18 x 25 = 66.67: C
    Served: 8 visits done on 30 November -> 6 of 8 answered: 75.0 %.
    """
    nov, octo = date(2026, 11, 30), date(2026, 10, 15)
    add_responses(
        app,
        world,
        [
            (nov, "A", 1, _answers(4), {"sex": "f", "age_band": "20_29"}),
            (nov, "A", 1, _answers(3, 3, 3, 1, 3, 3, 3, 3, 3), {"sex": "m"}),
            (nov, "C", 3, _answers(2), {"sex": "f"}),
            (nov, "C", 3, _answers(4, 4, 4, 4, 3, 3, 3, 3, 2), {}),
            (octo, "C", 1, _answers(3), {}),
            (octo, "A", 1, _answers(4), {}),
        ],
    )
    for _ in range(8):
        ticket = api.issue("C")
        assert api.call_next(world.counter(3).id).get_json()["id"] == ticket["id"]
        assert api.move(ticket["id"], "finish").status_code == 200


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, text(response)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(text(response))))


def _row(page: str, attribute: str, value: str) -> str:
    """The text of the table row ``<tr data-attribute="value">``, tags removed."""
    match = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, (attribute, value)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_page_shows_the_index_worked_out_by_hand(admin, seeded):
    response = admin.get(f"/admin/kupang/survey?{PERIOD}")
    assert response.status_code == 200
    page = text(response)
    found = scan(page)
    assert found.inline_scripts == [] and found.style_attrs == [] and found.handlers == []
    assert re.search(r"data-respondents>6<", page)
    assert re.search(r"data-share>75\.0 %<", page) and "of 8 people served answered" in page
    assert re.search(r"data-ikm>79\.63<", page)
    assert 'data-grade="B"' in page and 'grade-words">Good<' in page
    averages = [_row(page, "data-element", f"u{i}").split()[-1] for i in range(1, 10)]
    assert averages == [
        "3.333", "3.333", "3.333", "3.000", "3.167", "3.167", "3.167", "3.167", "3.000"
    ]  # fmt: skip
    assert _row(page, "data-month", "2026-10") == "October 2026 2 87.50 B Good"
    assert _row(page, "data-month", "2026-11") == "November 2026 4 75.69 C Poor"
    assert _row(page, "data-service", "A") == "A Service A 3 89.81 A Very good"
    assert _row(page, "data-service", "C") == "C Service C 3 69.44 C Poor"
    assert _row(page, "data-service", "B") == "B Service B 0 — —"
    assert _row(page, "data-counter", "1") == "1 · Loket 1 4 86.11 B Good"
    assert _row(page, "data-counter", "3") == "3 · Loket 3 2 66.67 C Poor"
    assert page.count('<svg class="chart"') == 1 and "<circle" in page
    sex = re.search(r'data-profile="sex">(.*?)</table>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", sex).split("Female")[1].split()[:2] == ["2", "33.3"]
    for table in ("elements", "months", "services", "counters"):
        assert f"table={table}" in page


def test_the_page_in_indonesian_writes_a_decimal_comma(signed_in_as, seeded):
    page = text(signed_in_as("admin", lang="id").get(f"/admin/kupang/survey?{PERIOD}"))
    assert re.search(r"data-ikm>79,63<", page) and "B</span> Baik" in page
    assert _row(page, "data-element", "u1") == "U1 Persyaratan 3,333"
    assert _row(page, "data-month", "2026-11") == "November 2026 4 75,69 C Kurang baik"
    assert _row(page, "data-service", "A") == "A Layanan A 3 89,81 A Sangat baik"
    assert ">Survei<" in page  # the tab


def test_filters_by_service_counter_and_month(admin, seeded):
    def ikm(query: str) -> str:
        page = text(admin.get(f"/admin/kupang/survey?{query}"))
        return re.search(r"data-ikm>([^<]+)<", page).group(1)

    assert ikm(f"{PERIOD}&service=A") == "89.81"
    assert ikm(f"{PERIOD}&counter=3") == "66.67"
    assert ikm(f"{PERIOD}&service=C&counter=1") == "75.00"  # r5 alone: all 3
    assert ikm("from=2026-11-01&to=2026-11-30") == "75.69"
    assert ikm("") == "75.69"  # this month by default


def test_the_csv_tables(admin, seeded):
    elements = _csv(admin.get(f"/admin/kupang/survey.csv?{PERIOD}"))
    assert [(r["code"], r["name"], r["respondents"], r["average"]) for r in elements][:5] == [
        ("u1", "Requirements", "6", "3.333"),
        ("u2", "Procedure", "6", "3.333"),
        ("u3", "Service time", "6", "3.333"),
        ("u4", "Cost", "6", "3.0"),
        ("u5", "Product", "6", "3.167"),
    ]
    months = _csv(admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=months"))
    assert [(r["month"], r["respondents"], r["ikm"], r["category"]) for r in months] == [
        ("2026-10", "2", "87.5", "B"),
        ("2026-11", "4", "75.69", "C"),
    ]
    assert [months[1][f"u{i}"] for i in range(1, 10)] == [
        "3.25", "3.25", "3.25", "2.75", "3.0", "3.0", "3.0", "3.0", "2.75"
    ]  # fmt: skip
    services = _csv(admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=services"))
    assert [(r["code"], r["respondents"], r["ikm"], r["category"]) for r in services] == [
        ("A", "3", "89.81", "A"),
        ("B", "0", "", ""),
        ("C", "3", "69.44", "C"),
    ]
    counters = _csv(admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=counters"))
    assert [(r["number"], r["respondents"], r["ikm"], r["category"]) for r in counters] == [
        ("1", "4", "86.11", "B"),
        ("2", "0", "", ""),
        ("3", "2", "66.67", "C"),
    ]
    response = admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=months")
    assert (
        "loket-kupang-ikm-2026-10-01-2026-11-30-months.csv"
        in (response.headers["Content-Disposition"])
    )
    bad = admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=people")
    assert bad.status_code == 422 and "elements, months, services, counters" in text(bad)


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(app, admin, world, seeded):
    with app.app_context():
        service = db.session.scalar(
            select(Service).where(Service.office_id == world.office.id, Service.code == "A")
        )
        service.name = service.name_en = "=HYPERLINK(1)"
        db.session.commit()
    rows = _csv(admin.get(f"/admin/kupang/survey.csv?{PERIOD}&table=services"))
    assert rows[0]["name"] == "'=HYPERLINK(1)"


def test_a_period_without_answers_says_so(admin, seeded):
    response = admin.get("/admin/kupang/survey?from=2026-12-01&to=2026-12-31")
    page = text(response)
    assert response.status_code == 200
    assert "data-survey-empty" in page and "Nobody answered the survey in this period." in page
    assert 'data-table="elements"' not in page and "<svg" not in page


@pytest.mark.parametrize(
    "query, sentence",
    [
        ("from=2024-01-01&to=2026-12-31", "A report covers at most 731 days"),
        ("from=2026-12-10&to=2026-12-01", "The end date is before the start date."),
        ("from=kemarin", "YYYY-MM-DD"),
        ("service=Z", "has no service Z"),
        ("counter=x", "counter must be a counter"),
    ],
)
def test_a_bad_period_or_filter_is_a_sentence_not_a_500(admin, seeded, query, sentence):
    response = admin.get(f"/admin/kupang/survey?{query}")
    assert response.status_code == 400 and sentence in text(response)
    for path in ("/admin/kupang/survey/print", "/admin/kupang/survey.csv"):
        other = admin.get(f"{path}?{query}")
        assert other.status_code in (400, 422) and sentence in text(other), path


def test_the_pages_are_for_the_offices_administrators(signed_in_as, client, world):
    pages = ("survey", "survey/print", "survey/wording", "survey/suggestions", "survey.csv")
    for user in ("operator", "clerk", "kiosk", "display", "admin@oebobo"):
        person = signed_in_as(user if "@" not in user else "admin-oebobo")
        for page in pages:
            assert person.get(f"/admin/kupang/{page}").status_code == 403, (user, page)
    for page in pages:
        response = client.get(f"/admin/kupang/{page}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- the printable report ----------------------------------------------------------------


def test_the_printable_report_has_the_published_form(app, signed_in_as, seeded, world):
    add_responses(
        app,
        world,
        [
            (date(2026, 11, 2), "A", 1, _answers(4), said("Antrean rapi.", "kept")),
            (date(2026, 11, 3), "A", 1, _answers(4), said("Tidak sopan <b>x</b>", "hidden")),
            (date(2026, 11, 4), "A", 1, _answers(4), said("Baru masuk.", "new")),
        ],
    )
    # Three more all-4 answers: 172 + 3 x 36 = 280 over 9 answers -> 280 / 81 x 25 = 86.42: B
    page = text(signed_in_as("admin", lang="id").get(f"/admin/kupang/survey/print?{PERIOD}"))
    found = scan(page)
    assert found.inline_scripts == [] and found.style_attrs == []
    assert "Laporan Survei Kepuasan Masyarakat" in page and "Kantor kupang" in page
    assert "1 Oktober 2026 – 30 November 2026" in page
    assert re.search(r"data-respondents>9<", page)
    assert re.search(r"data-ikm>86,42<", page)
    assert re.search(r"Mutu pelayanan</th><td data-grade>B<", page)
    assert re.search(r"Kinerja unit pelayanan</th><td data-grade-words>Baik<", page)
    assert "Nilai rata-rata (NRR)" in page and "Persyaratan" in page
    for words in ("Sangat baik", "Kurang baik", "Tidak baik", "88,31 – 100,00"):
        assert words in page  # the grade scale
    assert "Antrean rapi." in page  # kept
    assert "Tidak sopan" not in page and "Baru masuk." not in page  # hidden, new
    assert 'data-profile="sex"' in page
    english = text(signed_in_as("admin").get(f"/admin/kupang/survey/print?{PERIOD}"))
    assert "Public satisfaction survey report" in english
    assert "Performance of the service unit</th><td data-grade-words>Good<" in english


def test_the_printable_report_of_an_empty_period(admin, world):
    page = text(admin.get("/admin/kupang/survey/print?from=2026-12-01&to=2026-12-31"))
    assert "Nobody answered the survey in this period." in page
    assert "data-ikm" not in page and "No suggestion was kept for this period." in page


# ---- the wording -------------------------------------------------------------------------


def _served_token(api, world) -> str:
    ticket = api.issue("C")
    api.call_next(world.counter(3).id)
    assert api.move(ticket["id"], "finish").status_code == 200
    return ticket["token"]


def test_an_office_words_an_element_its_own_way_and_back(app, admin, api, world, client):
    token = _served_token(api, world)
    form = text(admin.get("/admin/kupang/survey/wording"))
    assert 'placeholder="Requirements"' in form  # the catalogue's wording as a hint
    saved = admin.post(
        "/admin/kupang/survey/wording",
        {
            "u1-name": "  Syarat berkas ",
            "u1-question": "Apakah syarat berkasnya jelas?",
            "u1-question_en": "Were the papers asked of you clear?",
        },
    )
    assert saved.status_code == 302
    again = text(admin.get("/admin/kupang/survey/wording"))
    assert 'value="Syarat berkas"' in again and "Apakah syarat berkasnya jelas?</textarea>" in again
    resident = app.test_client()
    resident.set_cookie("lang", "id")
    survey_page = text(resident.get(f"/t/{token}/survey"))
    assert "Syarat berkas" in survey_page and "Apakah syarat berkasnya jelas?" in survey_page
    assert "Prosedur" in survey_page  # the others keep the standard wording
    resident.set_cookie("lang", "en")
    assert "Were the papers asked of you clear?" in text(resident.get(f"/t/{token}/survey"))
    # The report names the element the office's way.
    elements = _csv(admin.get("/admin/kupang/survey.csv"))
    assert elements[0]["name"] == "Syarat berkas" and elements[1]["name"] == "Procedure"
    # An empty name and question: the standard wording again.
    assert admin.post("/admin/kupang/survey/wording", {}).status_code == 302
    resident.set_cookie("lang", "id")
    survey_page = text(resident.get(f"/t/{token}/survey"))
    assert "Syarat berkas" not in survey_page and "Persyaratan" in survey_page
    events = audit(app, "survey.wording")
    assert len(events) == 2 and all(e.office_id == world.office.id for e in events)
    assert "Syarat berkas" in events[0].details and events[1].target == "kupang u1"
    # The office's own administrator sees it in the trail (office-scoped events).
    assert "survey.wording" in text(admin.get("/admin/kupang/trail?kind=admin"))


def test_the_wording_form_shows_its_errors_under_the_fields(app, admin):
    response = admin.post(
        "/admin/kupang/survey/wording",
        {"u1-name": "x" * 61, "u1-question": "Jelas?", "u2-name": "Nama saja"},
    )
    assert response.status_code == 400
    assert [html.unescape(e) for e in errors(response)] == [
        "At most 60 characters.",
        "Give both the element's name and its question, or neither.",
    ]
    assert audit(app, "survey.wording") == []
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id)) is None


def test_the_wording_form_needs_its_csrf_token(admin):
    response = admin.client.post("/admin/kupang/survey/wording", data={"u1-name": "x"})
    assert response.status_code == 400


# ---- suggestions -------------------------------------------------------------------------


def test_suggestions_are_listed_newest_first_without_the_ticket_code(app, admin, api, world):
    token = _served_token(api, world)
    resident = app.test_client()  # the admin's client has a session: its posts need CSRF
    answered = resident.post(
        f"/api/v1/track/{token}/survey",
        json={"answers": _answers(3), "suggestion": "<script>alert(1)</script> Kursi kurang"},
    )
    assert answered.status_code == 201, answered.get_json()
    code = answered.get_json()["code"]
    add_responses(
        app,
        world,
        [
            (date(2026, 11, 20), "A", 1, _answers(4), said("Lebih awal buka.", "new")),
            (date(2026, 9, 1), "A", 1, _answers(4), said("Terlalu lama.", "new")),
        ],
    )
    page = text(admin.get("/admin/kupang/survey/suggestions"))
    found = scan(page)
    assert found.inline_scripts == [] and found.style_attrs == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kursi kurang" in page
    assert "<script>alert" not in page
    assert code not in page
    assert "erased 30 days after" in page
    # Newest first; 1 September is outside the default range (the last 30 days).
    assert page.index("Kursi kurang") < page.index("Lebih awal buka.")
    assert "Terlalu lama." not in page
    older = text(admin.get("/admin/kupang/survey/suggestions?from=2026-09-01&to=2026-11-30"))
    assert "Terlalu lama." in older
    assert "2026-11-30" in page and "C — Service C" in page and "3 · Loket 3" in page


def _ids(page: str) -> dict[int, str]:
    return {int(i): s for i, s in re.findall(r'data-suggestion="(\d+)" data-state="(\w+)"', page)}


def test_keep_and_hide_are_audited(app, admin, world):
    add_responses(
        app,
        world,
        [(date(2026, 11, 29), "A", 1, _answers(4), said("Tambah kursi.", "new"))],
    )
    page = text(admin.get("/admin/kupang/survey/suggestions?state=new"))
    (response_id,) = _ids(page)
    kept = admin.post(
        f"/admin/kupang/survey/suggestions/{response_id}?state=new", {"state": "kept"}
    )
    assert kept.status_code == 302
    assert kept.headers["Location"].endswith("/admin/kupang/survey/suggestions?state=new")
    assert _ids(text(admin.get("/admin/kupang/survey/suggestions?state=new"))) == {}
    assert _ids(text(admin.get("/admin/kupang/survey/suggestions?state=kept"))) == {
        response_id: "kept"
    }
    hidden = admin.post(f"/admin/kupang/survey/suggestions/{response_id}", {"state": "hidden"})
    assert hidden.status_code == 302
    assert _ids(text(admin.get("/admin/kupang/survey/suggestions"))) == {response_id: "hidden"}
    events = audit(app, "survey.suggestion")
    assert [e.details for e in events] == [
        '{"state": ["new", "kept"]}',
        '{"state": ["kept", "hidden"]}',
    ]
    assert all(e.office_id == world.office.id for e in events)
    with app.app_context():
        response = db.session.get(SurveyResponse, response_id)
        assert response.moderated_by_id == world.users["admin"].id
    # Nothing else is a state; an unknown suggestion is a 404.
    wrong = admin.post(f"/admin/kupang/survey/suggestions/{response_id}", {"state": "new"})
    assert wrong.status_code == 422 and "Keep or hide" in text(wrong)
    assert admin.post("/admin/kupang/survey/suggestions/999", {"state": "kept"}).status_code == 404


def test_only_the_offices_administrators_moderate(app, signed_in_as, world):
    add_responses(
        app,
        world,
        [(date(2026, 11, 29), "A", 1, _answers(4), said("Tambah kursi.", "new"))],
    )
    with app.app_context():
        response_id = db.session.scalar(select(SurveyResponse.id))
    for user in ("operator", "clerk", "admin-oebobo"):
        person = signed_in_as(user)
        refused = person.post(f"/admin/kupang/survey/suggestions/{response_id}", {"state": "kept"})
        assert refused.status_code == 403, user
    assert audit(app, "survey.suggestion") == []
    with app.app_context():
        assert db.session.get(SurveyResponse, response_id).suggestion_state == "new"


def test_the_suggestion_list_is_bounded(app, admin, world):
    add_responses(
        app,
        world,
        [
            (date(2026, 11, 29), "A", 1, _answers(4), said(f"Saran {n:02d}.", "new"))
            for n in range(55)
        ],
    )
    first = text(admin.get("/admin/kupang/survey/suggestions"))
    assert len(_ids(first)) == 50 and "page=1" in first
    second = text(admin.get("/admin/kupang/survey/suggestions?page=1"))
    assert len(_ids(second)) == 5 and "page=0" in second
    assert set(_ids(first)).isdisjoint(_ids(second))
    bad = admin.get("/admin/kupang/survey/suggestions?page=x")
    assert bad.status_code == 400 and "digits 0 to 9" in text(bad)
    too_long = admin.get("/admin/kupang/survey/suggestions?from=2020-01-01&to=2026-11-30")
    assert too_long.status_code == 400 and "at most 731 days" in text(too_long)
