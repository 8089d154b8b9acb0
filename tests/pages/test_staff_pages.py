"""Every staff page: who may open it, its forms, and markup a strict CSP allows."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import PASSWORD
from tests.web import scan, sign_in

PAGES = {
    "/counter/": {"operator", "admin"},
    "/counter/{c1}": {"operator", "admin"},
    "/station/print": {"clerk", "admin"},
    "/station/handover": {"clerk", "admin"},
    "/account/password": {"operator", "admin", "clerk", "kiosk", "display"},
}
USERS = ("operator", "clerk", "kiosk", "display", "admin")


def _path(template: str, world) -> str:
    return template.format(c1=world.counter(1).id)


@pytest.mark.parametrize("page", list(PAGES))
def test_staff_pages_send_strangers_to_sign_in(client, world, page):
    response = client.get(_path(page, world))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_staff_pages_open_for_their_roles_only(client, world, page, user):
    sign_in(client, user)
    response = client.get(_path(page, world))
    assert response.status_code == (200 if user in PAGES[page] else 403)
    if response.status_code == 200:
        found = scan(response.get_data(as_text=True))
        assert found.inline_scripts == [] and found.style_attrs == [] and found.handlers == []


def test_operator_of_another_office_may_not_open_this_counter(client, world):
    sign_in(client, "operator-oebobo")
    assert client.get(f"/counter/{world.counter(1).id}").status_code == 403
    assert client.get(f"/counter/{world.counter(1, world.other).id}").status_code == 200


def test_console_has_the_contract_hooks(client, world):
    sign_in(client, "operator")
    html = client.get(f"/counter/{world.counter(1).id}").get_data(as_text=True)
    for action in ("call-next", "recall", "start", "finish", "no-show", "transfer"):
        assert f'data-action="{action}"' in html
    assert "data-current-ticket" in html and "<kbd>N</kbd>" in html


def test_stations_have_the_contract_hooks(client, world):
    sign_in(client, "clerk")
    assert 'name="code"' in client.get("/station/handover").get_data(as_text=True)
    assert "data-list-ready" in client.get("/station/print").get_data(as_text=True)


def test_change_password_checks_and_changes(client, world):
    sign_in(client, "operator")
    from tests.web import csrf_token

    def post(current, new, again):
        token = csrf_token(client.get("/account/password").get_data(as_text=True))
        return client.post(
            "/account/password",
            data={"csrf_token": token, "current": current, "new": new, "again": again},
        )

    wrong = post("salah-sekali", "baru-rahasia-1", "baru-rahasia-1")
    assert wrong.status_code == 400 and "Kata sandi saat ini salah" in wrong.get_data(as_text=True)
    mismatch = post(PASSWORD, "baru-rahasia-1", "baru-rahasia-2")
    assert "tidak sama" in mismatch.get_data(as_text=True)
    short = post(PASSWORD, "pendek", "pendek")
    assert "paling sedikit 8" in short.get_data(as_text=True)
    done = post(PASSWORD, "baru-rahasia-1", "baru-rahasia-1")
    assert done.status_code == 200 and "sudah diganti" in done.get_data(as_text=True)
    other = client.application.test_client()
    assert sign_in(other, "operator", "baru-rahasia-1").status_code == 302


def test_disabled_account_is_told_so_only_with_the_right_password(app, client, world):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.session.get(User, world.users["clerk"].id).active = False
        db.session.commit()
    assert "dinonaktifkan" in sign_in(client, "clerk").get_data(as_text=True)
    assert "dinonaktifkan" not in sign_in(client, "clerk", "tebak-tebak").get_data(as_text=True)


def test_status_page_is_public_plain_and_personal_data_free(api, client, world):
    api.issue("A")
    ticket = api.issue("A")
    response = client.get(f"/t/{ticket['token']}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A-002" in html and "data-status" in html
    assert "Satu orang lagi di depan Anda" in html  # one, not "1 orang"
    found = scan(html)
    assert found.inline_scripts == [] and found.style_attrs == []
    english = client.get(f"/t/{ticket['token']}?lang=en").get_data(as_text=True)
    assert "One person ahead of you" in english and "1 people" not in english
    assert client.get("/t/no-such-token-here").status_code == 404


def test_status_page_says_where_to_go_when_called(api, client, world):
    ticket = api.issue("A")
    api.call_next(world.counter(2).id)
    html = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "Silakan menuju Loket 2" in html


def test_staff_queue_lists_waiting_counters_and_cards(api, world):
    from tests.schema import check

    first = api.issue("A")
    api.issue("A", priority=True)
    api.call_next(world.counter(1).id)  # the priority ticket
    queue = api.get("/api/v1/offices/kupang/queue", as_="clerk").get_json()
    check("StaffView", queue)
    assert [t["code"] for t in queue["waiting"]] == [first["code"]]
    assert queue["counters"][0]["ticket"]["code"] == "A-002"
    assert queue["card_stock"] is None
    assert_error(api.get("/api/v1/offices/kupang/queue", as_="kiosk"), 403, "forbidden")
    assert_error(
        api.get("/api/v1/offices/kupang/queue", as_="clerk@oebobo"), 403, "forbidden_office"
    )


@pytest.mark.parametrize("page", ["/station/print", "/station/handover", "/station/group"])
def test_an_administrator_of_every_office_picks_the_station_office(client, world, page):
    sign_in(client, "admin")
    html = client.get(page).get_data(as_text=True)
    picker = html[
        html.index('class="office-picker') : html.index("</form>", html.index("office-picker"))
    ]
    assert (
        f'value="{world.office.slug}" selected' in picker
        and f'value="{world.other.slug}"' in picker
    )
    chosen = client.get(f"{page}?office={world.other.slug}").get_data(as_text=True)
    assert f'value="{world.other.slug}" selected' in chosen
    assert f"<span>{world.other.name}</span>" in chosen
    # A clerk works in one office: no picker, and ?office= changes nothing.
    sign_in(client, "clerk")
    own = client.get(f"{page}?office={world.other.slug}").get_data(as_text=True)
    assert "office-picker" not in own and f"<span>{world.office.name}</span>" in own


def test_the_bookings_office_picker_keeps_the_day(client, world):
    sign_in(client, "admin")
    html = client.get(f"/station/bookings?day=2026-12-01&office={world.other.slug}").get_data(
        as_text=True
    )
    assert '<input type="hidden" name="day" value="2026-12-01">' in html
    assert f'value="{world.other.slug}" selected' in html
