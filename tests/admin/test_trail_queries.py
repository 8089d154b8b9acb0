"""The audit trail, the report page and the report API answer a bad query string with a sentence.

Issue 10, hole 11: ``?page=99999999999999999999``, ``?page=<500 nines>``, ``?user=%C2%B2``,
``?from=0001-01-01&to=0003-12-31`` and ``?from=9999-12-30&to=9999-12-31`` were 500s on the trail.
A page past the end shows the last page and says so; a bad filter is a 400 that says which; dates
are held to one rule (YYYY-MM-DD, from 2000-01-01 to 2100-12-31) on every report and the trail.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_error

from .conftest import text

TRAIL = "/admin/kupang/trail"
PAST_THE_END = "That page is past the end of the list; this is its last page."
KNOWN = [
    ("?page=99999999999999999999", 200, PAST_THE_END),
    ("?page=" + "9" * 500, 200, PAST_THE_END),
    ("?user=%C2%B2", 400, "Choose the person from the list of this office&#39;s staff."),
    ("?from=0001-01-01&to=0003-12-31", 400, "from must be a day from 2000-01-01 to 2100-12-31."),
    ("?from=9999-12-30&to=9999-12-31", 400, "from must be a day from 2000-01-01 to 2100-12-31."),
]


@pytest.fixture
def app(any_app):
    """Every test on SQLite and on PostgreSQL: the trail's filters and counts are SQL."""
    return any_app


def _codes(page: str) -> list[str]:
    """The ticket codes in the trail's rows, top to bottom."""
    return re.findall(r'<tr data-entry="t\d+">.*?<td>([A-Z]-\d{3})</td>', page, re.S)


@pytest.mark.parametrize(("query", "status", "sentence"), KNOWN)
def test_the_five_reported_queries_get_a_sentence_not_a_500(admin, api, query, status, sentence):
    api.issue("A")
    response = admin.get(TRAIL + query)
    page = text(response)
    assert response.status_code == status
    assert sentence in page
    assert "Traceback" not in page and "Something went wrong" not in page
    assert '<form class="report-range panel"' in page  # the trail itself, filters and all


def test_the_reported_queries_read_in_indonesian_by_default(signed_in_as, api):
    indonesian = signed_in_as("admin", lang="id")
    past = indonesian.get(TRAIL + "?page=" + "9" * 500)
    assert "Halaman itu melewati akhir daftar; ini halaman terakhirnya." in text(past)
    early = indonesian.get(TRAIL + "?from=0001-01-01&to=0003-12-31")
    assert early.status_code == 400
    assert "from harus berupa tanggal dari 2000-01-01 sampai 2100-12-31." in text(early)


def test_a_page_past_the_end_shows_the_last_page(admin, api, clock, monkeypatch):
    monkeypatch.setattr("app.admin.trail.PAGE", 2)
    for _ in range(5):
        api.issue("A")
        clock.advance(minutes=1)
    first = admin.get(TRAIL + "?kind=tickets")
    assert _codes(text(first)) == ["A-005", "A-004"]
    assert "page=1" in text(first) and "page=0" not in text(first)
    second = text(admin.get(TRAIL + "?kind=tickets&page=1"))
    assert _codes(second) == ["A-003", "A-002"] and PAST_THE_END not in second
    for asked in ("2", "3", "99999999999999999999"):
        response = admin.get(TRAIL + f"?kind=tickets&page={asked}")
        assert response.status_code == 200
        last = text(response)
        assert _codes(last) == ["A-001"]
        assert (PAST_THE_END in last) == (asked != "2")
        assert "page=1" in last and "page=3" not in last  # "Newer" only


@pytest.mark.parametrize("page", ["-1", "1.5", "abc", "%C2%B2", "%D9%A3", "1e3", " 1", "0x10"])
def test_a_malformed_page_number_is_refused(admin, page):
    response = admin.get(TRAIL + "?page=" + page)
    assert response.status_code == 400
    assert "The page must be a whole number written with the digits 0 to 9." in text(response)


def test_the_user_filter_takes_only_a_listed_person(admin, api, world):
    api.issue("A")
    kiosk = world.users["kiosk"].id
    by_kiosk = admin.get(f"{TRAIL}?user={kiosk}")
    assert by_kiosk.status_code == 200 and _codes(text(by_kiosk)) == ["A-001"]
    assert admin.get(f"{TRAIL}?user=").status_code == 200  # "anyone"
    other_office = world.users["operator@oebobo"].id
    for value in ("%C2%B2", "99999999999999999999999", "-1", "abc", str(other_office), "0"):
        response = admin.get(f"{TRAIL}?user={value}")
        assert response.status_code == 400, value
        assert "Choose the person from the list of this office&#39;s staff." in text(response)


def test_an_unknown_kind_is_refused(admin):
    response = admin.get(TRAIL + "?kind=secrets")
    assert response.status_code == 400
    assert "Choose what to show from the list." in text(response)


@pytest.mark.parametrize(
    ("query", "status", "sentence"),
    [
        ("?from=2000-01-01&to=2000-01-01", 200, None),
        ("?from=2100-12-31", 200, None),
        (
            "?from=1999-12-31&to=2000-01-01",
            400,
            "from must be a day from 2000-01-01 to 2100-12-31.",
        ),
        ("?from=2100-12-31&to=2101-01-01", 400, "to must be a day from 2000-01-01 to 2100-12-31."),
        ("?from=20261130", 400, "from must be a date written YYYY-MM-DD."),
        ("?from=2026-W48-1", 400, "from must be a date written YYYY-MM-DD."),
        ("?to=%D9%A2%D9%A0%D9%A2%D9%A6-11-30", 400, "to must be a date written YYYY-MM-DD."),
        ("?from=2020-01-01&to=2026-01-01", 400, "A report covers at most 1098 days."),
    ],
)
@pytest.mark.parametrize("page", ["trail", "reports"])
def test_trail_and_report_page_share_one_rule_for_dates(admin, page, query, status, sentence):
    response = admin.get(f"/admin/kupang/{page}{query}")
    assert response.status_code == status
    if sentence:
        assert sentence in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01&to=0003-12-31",
        "from=9999-12-30&to=9999-12-31",
        "from=2026-11-30&to=2101-01-01",
        "from=20261130",
    ],
)
def test_the_report_api_keeps_the_same_rule(api, query):
    for fmt in ("json", "csv"):
        assert_error(
            api.get(f"/api/v1/offices/kupang/report?{query}&format={fmt}", as_="admin"),
            422,
            "invalid_date",
        )
