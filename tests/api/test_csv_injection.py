"""CSV formula injection: a name that starts like a formula reaches a spreadsheet as text.

Issue 10, hole 10: a service named ``=HYPERLINK(...)`` came out of the report CSV as a live
formula. Every CSV is written by ``app.csvsafe``; text cells starting with = + - @ tab or CR get a
leading single quote, other control characters are dropped, numbers stay numbers.
"""

from __future__ import annotations

import csv
import io

import pytest

from app.csvsafe import cell, render
from tests.admin.conftest import Browser


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","Klik")', '\'=HYPERLINK("http://evil.example","Klik")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\x07=1+1", "'=1+1"),  # the bell is dropped, then the formula is neutralised
        ("Loket\x00 \x1b1\x7f\x85", "Loket 1"),
        ("Perekaman KTP-el", "Perekaman KTP-el"),  # a hyphen inside is harmless
        ("A-001", "A-001"),
        ("2026-11-30", "2026-11-30"),
        ("line one\nline two", "line one\nline two"),
        ("", ""),
        (None, ""),
        (0, 0),
        (42, 42),
        (-5, -5),
        (0.3333, 0.3333),
        (-0.5, -0.5),
    ],
)
def test_a_cell_is_neutralised_unless_it_is_a_number(value, expected):
    assert cell(value) == expected
    assert type(cell(value)) is type(expected)


def test_render_neutralises_header_and_rows_and_quotes_as_csv_does():
    text = render(["code", "=name"], [["A", '=cmd|" /C calc"!A0'], ["B", -3], ["C", None]])
    assert text == ('code,\'=name\r\nA,"\'=cmd|"" /C calc""!A0"\r\nB,-3\r\nC,\r\n')
    assert list(csv.reader(io.StringIO(text))) == [
        ["code", "'=name"],
        ["A", '\'=cmd|" /C calc"!A0'],
        ["B", "-3"],
        ["C", ""],
    ]


SERVICE = {
    "code": "Z",
    "name": '=HYPERLINK("http://evil.example","Klik")',
    "name_en": "",
    "colour": "#0f766e",
    "daily_quota": "",
    "active": "y",
    "position": "5",
    "default_minutes": "6",
    "ticket_footer": "",
}


def _csv(api, table: str) -> list[list[str]]:
    response = api.get(
        f"/api/v1/offices/kupang/report?from=2026-11-30&to=2026-11-30&format=csv&table={table}",
        as_="admin",
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_names_typed_as_formulas_come_out_of_every_csv_as_text(app, client, api, world, clock):
    admin = Browser(client, "admin")
    assert admin.post("/admin/kupang/services/new", SERVICE).status_code == 302
    assert (
        admin.post("/admin/kupang/services/new", {**SERVICE, "code": "Y", "name": "@SUM(1+1)"})
    ).status_code == 302
    # (A control character is refused by the form since hole 3; the CSV drops it anyway.)
    counter = {"number": "7", "name": "+1+1", "services": "Z Y", "call_order": "oldest"}
    assert admin.post("/admin/kupang/counters/new", {**counter, "is_open": "y"}).status_code == 302
    operator = world.users["operator"].id
    renamed = admin.post(
        f"/admin/kupang/users/{operator}",
        {
            "username": "operator",
            "display_name": "-2+3",
            "role": "operator",
            "office": "kupang",
            "active": "y",
        },
    )
    assert renamed.status_code == 302

    ticket = api.issue("Z")
    counter_id = api.get("/api/v1/offices/kupang/counters").get_json()[-1]["id"]
    clock.advance(minutes=2)
    assert api.call_next(counter_id).get_json()["code"] == "Z-001"
    clock.advance(minutes=5)
    assert api.move(ticket["id"], "finish").status_code == 200

    header, *rows = _csv(api, "services")
    assert header[:2] == ["code", "name"]
    assert rows == [
        ["A", "Layanan A", "0", "0", "0", "0", "", "", "", "", ""],
        ["B", "Layanan B", "0", "0", "0", "0", "", "", "", "", ""],
        ["C", "Layanan C", "0", "0", "0", "0", "", "", "", "", ""],
        ["Y", "'@SUM(1+1)", "0", "0", "0", "0", "", "", "", "", ""],
        [
            "Z",
            '\'=HYPERLINK("http://evil.example","Klik")',
            "1",
            "1",
            "0",
            "0",
            "120",
            "120",
            "120",
            "300",
            "0.0",
        ],
    ]
    assert _csv(api, "counters") == [
        ["number", "name", "served", "no_show", "no_show_rate", "service_avg_s"],
        ["7", "'+1+1", "1", "0", "0.0", "300"],
    ]
    assert _csv(api, "operators") == [
        ["username", "name", "served", "no_show", "no_show_rate", "service_avg_s"],
        ["operator", "'-2+3", "1", "0", "0.0", "300"],
    ]
    assert _csv(api, "days") == [
        ["day", "A", "B", "C", "Y", "Z", "issued"],
        ["2026-11-30", "0", "0", "0", "0", "1", "1"],
    ]
    assert _csv(api, "hours") == [["hour", "issued"], ["9", "1"]]
    # The JSON report keeps the names as they were typed: only spreadsheets need the quote.
    report = api.get(
        "/api/v1/offices/kupang/report?from=2026-11-30&to=2026-11-30", as_="admin"
    ).get_json()
    assert report["services"][-1]["name"] == SERVICE["name"]
