"""An estimated wait of exactly one minute reads "about 1 minute" (never "1 minutes"), in the
status page's sentences, on its first render and on the paper ticket; Indonesian, which has no
plural, says "sekitar 1 menit". The scripts' side: tests/browser/test_minute_counts.py."""

from __future__ import annotations

import json

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import PrintJob, Service
from app.track import sentence, sentences
from printer.decode import decode
from printer.layout import TicketData, ticket_bytes
from tests.conftest import Api, build_world


def _track(ahead: int, wait_s: int) -> dict:
    return {"status": "waiting", "stage": None, "ahead": ahead, "estimated_wait_s": wait_s}


@pytest.mark.parametrize(
    ("lang", "ahead", "wait_s", "expected"),
    [
        ("en", 3, 60, "3 people ahead of you, about 1 minute."),
        ("en", 3, 45, "3 people ahead of you, about 1 minute."),
        ("en", 3, 61, "3 people ahead of you, about 2 minutes."),
        ("en", 1, 30, "One person ahead of you, about 1 minute."),
        ("en", 1, 300, "One person ahead of you, about 5 minutes."),
        ("id", 3, 60, "3 orang di depan Anda, sekitar 1 menit."),
        ("id", 3, 61, "3 orang di depan Anda, sekitar 2 menit."),
        ("id", 1, 30, "Satu orang lagi di depan Anda, sekitar 1 menit."),
        ("id", 1, 300, "Satu orang lagi di depan Anda, sekitar 5 menit."),
    ],
)
def test_the_status_sentence_says_one_minute_in_the_singular(app, lang, ahead, wait_s, expected):
    with app.test_request_context(), force_locale(lang):
        assert sentence(_track(ahead, wait_s), sentences()) == expected


def _service_a_takes_a_minute(app, world) -> None:
    """Service A: 60 s a person over its two open counters, so 1 or 2 ahead is 1 minute and
    3 ahead is 2 minutes."""
    with app.app_context():
        db.session.get(Service, world.office.services[0].id).default_service_s = 60
        db.session.commit()


def test_the_status_page_says_one_minute_in_the_singular(app, api, client, world):
    _service_a_takes_a_minute(app, world)
    tickets = [api.issue("A") for _ in range(4)]
    pages = {
        (lang, i): client.get(f"/t/{tickets[i]['token']}?lang={lang}").get_data(as_text=True)
        for lang in ("en", "id")
        for i in (1, 2, 3)
    }
    assert "One person ahead of you, about 1 minute." in pages["en", 1]
    assert "2 people ahead of you, about 1 minute." in pages["en", 2]
    assert "3 people ahead of you, about 2 minutes." in pages["en", 3]
    assert "Satu orang lagi di depan Anda, sekitar 1 menit." in pages["id", 1]
    assert "2 orang di depan Anda, sekitar 1 menit." in pages["id", 2]
    assert "3 orang di depan Anda, sekitar 2 menit." in pages["id", 3]
    assert not any("1 minutes" in page for page in pages.values())


@pytest.mark.parametrize(
    ("query", "one", "two"),
    [
        ("?lang=en", "Estimated wait: about 1 minute", "Estimated wait: about 2 minutes"),
        ("", "Perkiraan tunggu: sekitar 1 menit", "Perkiraan tunggu: sekitar 2 menit"),
    ],
)
def test_the_paper_ticket_says_one_minute_in_the_singular(make_app, clock, query, one, two):
    app = make_app(PRINTER_URL="tcp://127.0.0.1:9")  # never printed: the jobs are read back
    with app.app_context():
        world = build_world(db.session)
    _service_a_takes_a_minute(app, world)
    api = Api(app.test_client(), world)
    for _ in range(4):
        response = api.post(f"/api/v1/offices/kupang/tickets{query}", {"service": "A"}, as_="kiosk")
        assert response.status_code == 201, response.get_json()
    with app.app_context():
        jobs = [
            TicketData.from_dict(json.loads(job.payload))
            for job in db.session.query(PrintJob).order_by(PrintJob.id)
        ]
    printed = [decode(ticket_bytes(job, "80")).texts for job in jobs]
    assert [job.wait_min for job in jobs] == [None, 1, 1, 2]
    assert one in printed[1] and one in printed[2]
    assert two in printed[3]
    assert not any("1 minutes" in text for texts in printed for text in texts)
    # Only the one-minute tickets carry the other wait line; the rest keep the shared words.
    assert jobs[3].words["wait"] == jobs[0].words["wait"] != one
