"""The command line of the contract: demo, user add, token, close-day, urls."""

from __future__ import annotations

import stat

from sqlalchemy import func, select

from app.extensions import db
from app.models import Office, Service, User
from tests.web import sign_in


def test_demo_seeds_once_with_the_contract_offices(app, runner):
    first = runner.invoke(args=["loket", "demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output
    second = runner.invoke(args=["loket", "demo"])
    assert second.exit_code == 0 and "nothing added" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Office)) == 3
        kupang = db.session.scalar(select(Office).where(Office.slug == "kupang"))
        assert (kupang.name, kupang.timezone, kupang.always_open) == (
            "Dukcapil Kota Kupang",
            "Asia/Makassar",
            True,
        )
        services = {s.code: s for s in kupang.services}
        assert services["A"].name == "Perekaman KTP-el" and services["A"].produces_card
        assert services["B"].name == "Cetak KTP-el" and services["B"].produces_card
        assert services["C"].name == "Kartu Keluarga"
        assert services["D"].name.startswith("Akta")
        counters = {c.number: [link.service.code for link in c.links] for c in kupang.counters}
        assert sorted(counters) == [1, 2, 3, 4, 5]
        assert counters[1] == ["A"] and counters[2] == ["A"]
        assert any("C" in codes for n, codes in counters.items() if n > 2)
        assert [h.weekday for h in kupang.hours] == [0, 1, 2, 3, 4]
        for slug in ("oebobo", "kota-raja"):
            office = db.session.scalar(select(Office).where(Office.slug == slug))
            assert {"A", "C"} <= {s.code for s in office.services}
            served = {link.service.code for c in office.counters for link in c.links}
            assert {"A", "C"} <= served


def test_user_add_and_token_work_against_the_api(app, runner, client):
    runner.invoke(args=["loket", "demo"])
    added = runner.invoke(
        args=[
            "loket",
            "user",
            "add",
            "loket9",
            "--role",
            "operator",
            "--office",
            "kupang",
            "--password",
            "rahasia-sekali",
        ]
    )
    assert added.exit_code == 0, added.output
    result = runner.invoke(args=["loket", "token", "loket9"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("lkt_") and "\n" not in token
    response = client.post(
        "/api/v1/counters/1/call-next", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204
    with app.app_context():
        stored = db.session.scalar(select(User).where(User.username == "loket9")).tokens[0]
        assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_user_add_refuses_bad_input_with_a_sentence(app, runner):
    runner.invoke(args=["loket", "demo"])
    no_office = runner.invoke(args=["loket", "user", "add", "x1", "--role", "operator"])
    assert no_office.exit_code != 0 and "office" in no_office.output
    taken = runner.invoke(
        args=["loket", "user", "add", "admin", "--role", "admin", "--password", "rahasia-sekali"]
    )
    assert taken.exit_code != 0 and "taken" in taken.output
    short = runner.invoke(
        args=["loket", "user", "add", "x2", "--role", "admin", "--password", "short"]
    )
    assert short.exit_code != 0 and "8" in short.output
    unknown = runner.invoke(
        args=["loket", "user", "add", "x3", "--role", "operator", "--office", "atlantis"]
    )
    assert unknown.exit_code != 0 and "atlantis" in unknown.output


def test_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["loket", "token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


def test_urls_lists_each_page(app, runner):
    runner.invoke(args=["loket", "demo"])
    output = runner.invoke(args=["loket", "urls"]).output
    for part in ("/display/kupang", "/login"):
        assert part in output
    for name, part in (("kiosk", "/kiosk/kupang"), ("counter", "/counter"), ("admin", "/admin")):
        assert (part in output) == (name in app.blueprints)


def test_user_password_resets_and_unlocks(app, runner):
    runner.invoke(args=["loket", "demo"])
    result = runner.invoke(args=["loket", "user", "password", "operator"])
    assert result.exit_code == 0 and "Password:" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Service)) > 0


def _demo_passwords(output: str) -> dict[str, str]:
    """{user: password} from the lines ``loket demo`` prints (``  NAME  PASSWORD``)."""
    names = ("admin", "operator", "clerk", "kiosk", "display")
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            found[parts[0]] = parts[1]
    return found


def test_demo_gives_each_account_its_own_password_shown_once(app, runner, tmp_path):
    first = runner.invoke(args=["loket", "demo"])
    assert first.exit_code == 0, first.output
    passwords = _demo_passwords(first.output)
    assert sorted(passwords) == ["admin", "clerk", "display", "kiosk", "operator"]
    assert len(set(passwords.values())) == 5, passwords
    assert all(len(p) >= 12 for p in passwords.values())
    kept = tmp_path / "demo-credentials.txt"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _demo_passwords(kept.read_text()) == passwords

    # Each password opens its own account and no other.
    for username in passwords:
        for owner, password in passwords.items():
            response = sign_in(app.test_client(), username, password)
            if owner == username:
                assert response.status_code == 302, (username, response.status_code)
            else:
                assert response.status_code == 401, (username, owner, response.status_code)

    with app.app_context():
        hashes = dict(db.session.execute(select(User.username, User.password_hash)).all())
    second = runner.invoke(args=["loket", "demo"])
    assert second.exit_code == 0 and "nothing added" in second.output
    assert str(kept) in second.output
    assert not any(password in second.output for password in passwords.values())
    assert _demo_passwords(second.output) == {}
    with app.app_context():
        assert dict(db.session.execute(select(User.username, User.password_hash)).all()) == hashes
    assert _demo_passwords(kept.read_text()) == passwords
    assert sign_in(app.test_client(), "admin", passwords["admin"]).status_code == 302


def test_a_command_before_the_database_is_set_up_says_what_to_do(tmp_path):
    from tests.conftest import _build

    app = _build(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)  # no migration run
    result = app.test_cli_runner().invoke(args=["loket", "user", "add", "budi", "--role", "admin"])
    assert result.exit_code == 1
    assert "run `flask --app wsgi db upgrade` first" in result.output
    assert "Traceback" not in result.output and "OperationalError" not in result.output
