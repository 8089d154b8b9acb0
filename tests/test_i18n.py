"""Indonesian first, English by choice, and every sentence translated."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_message_in_the_code_has_an_indonesian_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "app/translations/id/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="id")
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(str(w) for w in wanted if w not in translated)
    assert missing == [], "untranslated: run `make extract-messages` and translate these"
    for msgid, text in translated.items():
        assert set(PLACEHOLDER.findall(str(msgid))) == set(PLACEHOLDER.findall(str(text))), msgid


def test_api_errors_are_indonesian_by_default_and_english_on_request(api, world):
    ticket = api.issue("A")
    path = f"/api/v1/tickets/{ticket['id']}/finish"
    indonesian = api.post(path, as_="operator").get_json()["error"]["message"]
    english = api.post(path + "?lang=en", as_="operator").get_json()["error"]["message"]
    assert indonesian.startswith("Antrean A-001 hanya dapat diselesaikan")
    assert "menunggu" in indonesian
    assert english.startswith("Ticket A-001 can only be finished") and "waiting" in english
    asked = api.post(path, as_="operator", headers={"Accept-Language": "en"}).get_json()
    assert asked["error"]["message"] == english


def test_pages_are_indonesian_and_the_choice_of_english_is_remembered(client, world):
    assert "Masuk petugas" in client.get("/").get_data(as_text=True)
    page = client.get("/?lang=en")
    assert "Staff sign in" in page.get_data(as_text=True)
    assert "lang=en" in page.headers["Set-Cookie"]
    assert "Staff sign in" in client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_english_browser_still_gets_indonesian_pages(client, world):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Masuk petugas" in page.get_data(as_text=True)


def test_an_english_refusal_names_the_service_in_english(api, world, app):
    """Issue 11, point 16: English kiosk messages carried the Indonesian service name."""
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        db.session.get(Service, world.office.services[0].id).daily_quota = 1
        db.session.commit()
    api.issue("A")
    path = "/api/v1/offices/kupang/tickets"
    english = api.post(path + "?lang=en", {"service": "A"}, as_="kiosk").get_json()
    indonesian = api.post(path, {"service": "A"}, as_="kiosk").get_json()
    assert "Service A" in english["error"]["message"]  # the factory's English name
    assert "Layanan A" not in english["error"]["message"]
    assert "Layanan A" in indonesian["error"]["message"]
