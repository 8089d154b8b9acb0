"""The survey's pages without a browser: the status page offers it once the visit is over,
the phone's form (a refusal comes back with the choices kept), and the counter tablet, which
asks about the ticket just finished at its counter."""

from __future__ import annotations

from app.extensions import db
from app.models import SurveyResponse
from tests.web import csrf_token, scan, sign_in

ALL = {f"u{i}": "4" for i in range(1, 10)}


def _served(api, world, service: str = "C", counter: int = 3) -> dict:
    ticket = api.issue(service)
    api.call_next(world.counter(counter).id)
    assert api.move(ticket["id"], "finish").status_code == 200
    return ticket


def test_the_status_page_offers_the_survey_when_the_visit_is_over(api, client, world):
    ticket = api.issue("C")
    page = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "data-survey-link" in page and f'/t/{ticket["token"]}/survey" hidden' in page
    api.call_next(world.counter(3).id)
    api.move(ticket["id"], "finish")
    page = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert f'/t/{ticket["token"]}/survey">' in page  # no longer hidden
    assert "Bagaimana pelayanan kami?" in page


def test_the_phone_form_answers_once(api, client, world, app):
    ticket = _served(api, world)
    path = f"/t/{ticket['token']}/survey"
    page = client.get(path).get_data(as_text=True)
    assert scan(page).inline_scripts == [] and scan(page).style_attrs == []
    assert page.count('type="radio"') == 36 and "Apakah petugas sopan dan ramah?" in page
    assert "Sangat sopan dan ramah" in page
    token = csrf_token(page)

    # u5 left out: the form comes back (422) with a sentence and the other answers kept.
    partial = {k: v for k, v in ALL.items() if k != "u5"}
    refused = client.post(path, data={"csrf_token": token, **partial, "suggestion": "Antrean lama"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Mohon jawab pertanyaan u5." in body
    assert body.count("checked") == 8 and "Antrean lama" in body

    done = client.post(
        path,
        data={"csrf_token": token, **ALL, "suggestion": "Antrean lama", "sex": "f", "age_band": ""},
    )
    assert done.status_code == 303
    thanks = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-survey-state="answered"' in thanks
    with app.app_context():
        row = db.session.query(SurveyResponse).one()
        assert (row.source, row.u5, row.sex, row.age_band) == ("status", 4, "f", None)
        assert (row.suggestion, row.suggestion_state) == ("Antrean lama", "new")
    again = client.post(path, data={"csrf_token": token, **ALL})
    assert again.status_code == 409 and 'data-survey-state="answered"' in again.get_data(
        as_text=True
    )
    status = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "Terima kasih sudah mengisi survei." in status and "data-survey-final" in status


def test_the_phone_form_says_when_it_is_not_open(api, client, world):
    waiting = api.issue("C")
    page = client.get(f"/t/{waiting['token']}/survey").get_data(as_text=True)
    assert 'data-survey-state="not_yet"' in page and 'type="radio"' not in page
    assert client.get("/t/not-a-token-at-all/survey").status_code == 404


def test_the_counter_tablet_asks_about_the_ticket_just_finished_there(api, app, world, clock):
    tablet = app.test_client()
    assert tablet.get("/survey/kupang/counter/3").status_code in (302, 401)  # sign in first
    sign_in(tablet, "display")
    idle = tablet.get("/survey/kupang/counter/3")
    assert idle.status_code == 200 and 'data-survey-state="idle"' in idle.get_data(as_text=True)
    assert tablet.get("/survey/kupang/counter/3/current.json").get_json() == {"ticket": None}
    assert tablet.get("/survey/kupang/counter/9").status_code == 404
    assert tablet.get("/survey/oebobo/counter/1").status_code == 403

    ticket = _served(api, world)
    assert tablet.get("/survey/kupang/counter/3/current.json").get_json() == {
        "ticket": ticket["id"]
    }
    page = tablet.get("/survey/kupang/counter/3").get_data(as_text=True)
    assert ticket["code"] in page and 'type="radio"' in page
    assert scan(page).inline_scripts == [] and scan(page).style_attrs == []
    # Another counter's tablet has nothing to ask.
    assert tablet.get("/survey/kupang/counter/1/current.json").get_json() == {"ticket": None}

    form = {"csrf_token": csrf_token(page), "ticket": str(ticket["id"]), **ALL}
    missing = tablet.post("/survey/kupang/counter/3", data={**form, "u9": ""})
    assert missing.status_code == 422
    assert "Mohon jawab pertanyaan u9." in missing.get_data(as_text=True)
    done = tablet.post("/survey/kupang/counter/3", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith("?done=1")
    with app.app_context():
        assert db.session.query(SurveyResponse).one().source == "tablet"
    # Answered: the tablet goes back to waiting, and the phone may not answer again.
    assert tablet.get("/survey/kupang/counter/3/current.json").get_json() == {"ticket": None}
    assert (
        api.post(
            f"/api/v1/track/{ticket['token']}/survey", {"answers": {k: 4 for k in ALL}}
        ).status_code
        == 409
    )

    # A ticket finished more than ten minutes ago is no longer offered.
    later = _served(api, world)
    clock.advance(minutes=11)
    assert tablet.get("/survey/kupang/counter/3/current.json").get_json() == {"ticket": None}
    stale = tablet.post(
        "/survey/kupang/counter/3",
        data={**form, "ticket": str(later["id"])},
    )
    assert stale.status_code == 303  # back to the waiting screen, nothing recorded
    with app.app_context():
        assert db.session.query(SurveyResponse).count() == 1
