"""The survey API per the contract: one response per finished visit (a card: after handover),
every 409 and 422, and the index (IKM) of the admin endpoint."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.schema import check as assert_shape

ALL_FOUR = {f"u{i}": 4 for i in range(1, 10)}


def served(api, world, service: str = "C", counter: int = 3) -> dict:
    """A ticket of ``service`` issued, called at ``counter`` and finished."""
    ticket = api.issue(service)
    called = api.call_next(world.counter(counter).id).get_json()
    assert called["id"] == ticket["id"], called
    assert api.move(ticket["id"], "finish").status_code == 200
    return ticket


def answer(api, token: str, answers=None, **extra):
    return api.post(f"/api/v1/track/{token}/survey", {"answers": answers or ALL_FOUR, **extra})


def test_a_finished_visit_answers_once(api, world):
    ticket = served(api, world)
    response = answer(api, ticket["token"], suggestion="Kursi ruang tunggu kurang.")
    assert response.status_code == 201, response.get_json()
    assert_shape("SurveyAnswered", response.get_json())
    assert response.get_json()["code"] == ticket["code"]
    assert_error(answer(api, ticket["token"]), 409, "survey_done")


def test_the_survey_is_not_open_before_the_visit_is_over(api, world):
    waiting = api.issue("C")
    assert_error(answer(api, waiting["token"]), 409, "survey_not_open")
    api.call_next(world.counter(3).id)
    assert_error(answer(api, waiting["token"]), 409, "survey_not_open")  # called, not done


def test_a_card_service_opens_the_survey_only_after_handover(api, world):
    ticket = api.issue("A")
    api.call_next(world.counter(1).id)
    assert api.move(ticket["id"], "finish").get_json()["stage"] == "ready_to_print"
    assert_error(answer(api, ticket["token"]), 409, "survey_not_open")
    api.move(ticket["id"], "stage", as_="clerk", json={"stage": "printed"})
    assert_error(answer(api, ticket["token"]), 409, "survey_not_open")
    api.move(ticket["id"], "stage", as_="clerk", json={"stage": "handed_over"})
    assert answer(api, ticket["token"]).status_code == 201


def test_a_cancelled_or_absent_ticket_has_no_survey(api, world):
    cancelled = api.issue("C")
    api.move(cancelled["id"], "cancel")
    assert_error(answer(api, cancelled["token"]), 409, "survey_not_open")


@pytest.mark.parametrize(
    "answers",
    [
        {f"u{i}": 4 for i in range(1, 9)},  # u9 missing
        {**ALL_FOUR, "u3": 5},
        {**ALL_FOUR, "u3": 0},
        {**ALL_FOUR, "u1": "4"},
        {**ALL_FOUR, "u1": True},
        {**ALL_FOUR, "u1": 2.5},
        {**ALL_FOUR, "u10": 3},
        {},
    ],
)
def test_a_missing_element_or_a_value_outside_1_to_4_is_422(api, world, answers):
    ticket = served(api, world)
    error = assert_error(
        api.post(f"/api/v1/track/{ticket['token']}/survey", {"answers": answers}),
        422,
        "invalid_field",
    )
    assert "u" in error["message"] or "answers" in error["message"], error
    # Nothing was kept: a right answer still goes in.
    assert answer(api, ticket["token"]).status_code == 201


def test_bad_bodies(api, world):
    ticket = served(api, world)
    path = f"/api/v1/track/{ticket['token']}/survey"
    assert_error(
        api.post(path, {"answers": ALL_FOUR, "suggestion": "x" * 1001}), 422, "invalid_field"
    )
    assert_error(
        api.post(path, {"answers": ALL_FOUR, "profile": {"sex": "x"}}), 422, "invalid_field"
    )
    assert_error(api.post(path, {"answers": [1, 2]}), 422, "invalid_field")
    assert_error(
        api.client.post(path, data="{", content_type="application/json"), 400, "bad_request"
    )
    assert_error(answer(api, "no-such-token-here"), 404, "unknown_token")
    assert (
        answer(api, ticket["token"], profile={"sex": "f", "age_band": "30_39"}).status_code == 201
    )


def test_the_index_of_the_admin_endpoint(api, world):
    # Two respondents: all 4s, and all 3s but u4 = 1: averages 3.5 (u4: 2.5) -> the mean of the
    # nine averages is (8 x 3.5 + 2.5) / 9 = 30.5 / 9, x 25 = 84.72 (B).
    first, second = served(api, world), served(api, world)
    assert answer(api, first["token"]).status_code == 201
    assert answer(api, second["token"], {**{k: 3 for k in ALL_FOUR}, "u4": 1}).status_code == 201
    body = api.get("/api/v1/offices/kupang/ikm?from=2026-11-01&to=2026-11-30", as_="admin")
    assert body.status_code == 200, body.get_json()
    data = body.get_json()
    assert_shape("Ikm", data)
    assert data["respondents"] == 2
    assert [e["code"] for e in data["elements"]] == [f"u{i}" for i in range(1, 10)]
    assert [e["average"] for e in data["elements"]] == [3.5, 3.5, 3.5, 2.5, 3.5, 3.5, 3.5, 3.5, 3.5]
    assert data["elements"][0]["name"] == "Persyaratan"  # Indonesian by default
    assert data["ikm"] == 84.72 and data["category"] == "B"
    # One service, one counter, an empty period.
    by_service = api.get(
        "/api/v1/offices/kupang/ikm?from=2026-11-01&to=2026-11-30&service=A", as_="admin"
    ).get_json()
    assert by_service["respondents"] == 0 and by_service["ikm"] is None
    assert by_service["category"] is None and by_service["elements"][0]["average"] is None
    by_counter = api.get(
        "/api/v1/offices/kupang/ikm?from=2026-11-01&to=2026-11-30&counter=3", as_="admin"
    ).get_json()
    assert by_counter["ikm"] == 84.72


def test_the_index_is_for_admins_with_sane_dates(api, world):
    path = "/api/v1/offices/kupang/ikm"
    assert_error(api.get(path), 401, "unauthorized")
    assert_error(api.get(path, as_="operator"), 403, "forbidden")
    assert_error(api.get(path, as_="admin@oebobo"), 403, "forbidden_office")
    assert_error(api.get(path + "?from=kemarin", as_="admin"), 422, "invalid_date")
    assert_error(
        api.get(path + "?from=2026-11-30&to=2026-11-01", as_="admin"), 422, "invalid_field"
    )
    assert_error(
        api.get(path + "?from=2020-01-01&to=2026-11-01", as_="admin"), 422, "invalid_field"
    )
    assert_error(api.get(path + "?service=Z", as_="admin"), 422, "unknown_service")
    assert_error(api.get(path + "?counter=99", as_="admin"), 422, "invalid_field")
    assert_error(api.get(path + "?counter=x", as_="admin"), 422, "invalid_field")


def test_purge_erases_old_suggestions_and_keeps_the_answers(app, api, world, clock, runner):
    from app.extensions import db
    from app.models import SurveyResponse

    old, recent = served(api, world), served(api, world)
    assert answer(api, old["token"], suggestion="Petugas bernama Budi ramah").status_code == 201
    clock.advance(days=6)  # still within the 7 days the survey stays open
    assert answer(api, recent["token"], suggestion="Tambah kursi").status_code == 201
    period = "/api/v1/offices/kupang/ikm?from=2026-11-01&to=2026-12-31"
    before = api.get(period, as_="admin").get_json()
    assert before["respondents"] == 2
    clock.advance(days=25)  # the first is 31 days old, the second 25
    result = runner.invoke(args=["loket", "purge"])
    assert result.exit_code == 0 and "1 survey suggestions" in result.output, result.output
    with app.app_context():
        rows = {r.ticket_id: r for r in db.session.query(SurveyResponse)}
        assert rows[old["id"]].suggestion is None and rows[old["id"]].suggestion_state is None
        assert rows[recent["id"]].suggestion == "Tambah kursi"
    assert api.get(period, as_="admin").get_json() == before
