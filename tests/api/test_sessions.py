"""Signing in with a browser: the form, CSRF on writes, the lock after wrong passwords."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.factories import PASSWORD
from tests.web import csrf_token, sign_in


def test_login_form_has_the_contract_fields(client, world):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html


def test_sign_in_then_api_write_needs_the_csrf_header(client, world):
    assert sign_in(client, "kiosk").status_code == 302
    path = "/api/v1/offices/kupang/tickets"
    assert_error(client.post(path, json={"service": "A"}), 400, "csrf_failed")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(path, json={"service": "A"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()


def test_login_form_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "kiosk", "password": PASSWORD})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_password_gives_a_sentence_and_no_session(client, world):
    response = sign_in(client, "kiosk", "salah-salah")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in response.get_data(as_text=True)
    assert_error(
        client.post("/api/v1/offices/kupang/tickets", json={"service": "A"}), 401, "unauthorized"
    )


def test_ten_wrong_passwords_lock_the_account(client, world):
    for _ in range(10):
        assert sign_in(client, "operator", "salah-salah").status_code == 401
    response = sign_in(client, "operator")
    assert response.status_code == 401
    assert "terkunci" in response.get_data(as_text=True)


def test_next_parameter_only_goes_to_this_site(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(client, world):
    sign_in(client, "operator")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert_error(
        client.post("/api/v1/counters/1/call-next", headers={"X-CSRFToken": token}),
        401,
        "unauthorized",
    )


def test_the_sign_in_form_wants_its_csrf_field_also_from_a_token_holder(client, world):
    token = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    response = client.post(
        "/login", data={"username": "operator", "password": PASSWORD}, headers=token
    )
    assert response.status_code == 400
    assert "formulir" in response.get_data(as_text=True).lower()


def test_a_next_address_with_a_line_break_is_ignored(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/%0d%0aSet-Cookie:%20x=1",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")
