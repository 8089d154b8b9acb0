"""The kiosk page's access, hooks and markup; the ticket's QR code."""

from __future__ import annotations

import re

import pytest

from tests.web import scan, sign_in


def test_kiosk_page_needs_a_signed_in_kiosk_or_staff(client, world):
    response = client.get("/kiosk/kupang")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("kiosk", 200),
        ("operator", 200),
        ("admin", 200),
        ("clerk", 403),
        ("display", 403),
        ("kiosk-oebobo", 403),
    ],
)
def test_who_may_open_the_kiosk(client, world, user, status):
    assert sign_in(client, user).status_code == 302
    assert client.get("/kiosk/kupang").status_code == status


def test_kiosk_has_a_button_per_service_and_nothing_inline(app, client, world):
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        db.session.get(Service, world.office.services[0].id).name = "Perekaman KTP-el"
        db.session.commit()
    sign_in(client, "kiosk")
    response = client.get("/kiosk/kupang")
    html = response.get_data(as_text=True)
    for code in "ABC":
        assert f'data-service="{code}"' in html
    assert "data-ticket-code" in html and "Ambil nomor antrean" in html
    assert "KTP\u2011el" in html  # a name never breaks at its hyphen
    page = scan(html)
    assert page.inline_scripts == [] and page.style_attrs == [] and page.handlers == []


def test_closed_service_says_when_it_opens(app, client, world, clock):
    from app.extensions import db
    from app.models import Office

    with app.app_context():
        office = db.session.get(Office, world.office.id)
        office.always_open = False
        office.card_stock = 0  # no blank cards either: not worth a word while closed
        db.session.commit()
    clock.set(clock.now.replace(hour=13))  # 21:00 WITA on Monday
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert 'aria-disabled="true"' in html
    # One banner says when numbers come again; the headline no longer invites to take one.
    assert _texts(html, "data-closed-banner") == [
        "Nomor antrean dapat diambil lagi Selasa, 1 Desember 2026 pukul 08.00 WITA."
    ]
    assert _texts(html, "h1") == ["Belum ada nomor antrean saat ini"]
    # Each button carries a short word, not the sentence again (shown when touched).
    tags = _texts(html, "data-closed-reason")
    assert len(tags) == 3 and set(tags) == {"Tutup"}
    assert "buka lagi Selasa, 1 Desember 2026 pukul 08.00 WITA" in html  # the reason, on tap
    # Closed, the banner is all: the notices for the paper and the blank cards stay hidden.
    assert re.search(r'data-notice="no_blank_cards"[^>]*hidden', html)
    assert re.search(r'data-notice="printer_down"[^>]*hidden', html)
    assert "data-noticed" not in html


def test_a_used_up_quota_closes_only_its_button(app, client, world, api):
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        service = db.session.get(Service, world.office.services[0].id)
        service.daily_quota = 1
        db.session.commit()
    api.issue("A")
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert _texts(html, "data-closed-reason") == ["Kuota hari ini sudah habis"]
    assert _texts(html, "data-closed-banner") == []
    assert _texts(html, "h1") == ["Ambil nomor antrean"]


def _texts(html: str, hook: str) -> list[str]:
    """The text of each element marked ``hook`` (an attribute, or a tag name)."""
    pattern = (
        rf"<{hook}\b[^>]*>(.*?)</{hook}>"
        if not hook.startswith("data-")
        else rf"<(\w+)\b[^>]*\b{hook}\b[^>]*>(.*?)</\1>"
    )
    found = re.findall(pattern, html, re.S)
    return [" ".join((f[-1] if isinstance(f, tuple) else f).split()) for f in found]


def test_qr_code_of_a_ticket_is_svg_of_its_status_link(api, client):
    ticket = api.issue("A")
    response = client.get(f"/t/{ticket['token']}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data[:200]
    assert client.get("/t/not-a-real-token-xyz/qr.svg").status_code == 404


def test_the_kiosk_forgets_english_for_the_next_resident(client, world):
    sign_in(client, "kiosk")
    english = client.get("/kiosk/kupang?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "lang=" not in english.headers.get("Set-Cookie", "")  # not remembered
    assert '"lang": "en"' in english.get_data(as_text=True)  # the page knows to go back
    plain = client.get("/kiosk/kupang").get_data(as_text=True)
    assert '<html lang="id">' in plain and "Ambil nomor antrean" in plain
    # Even a device whose staff chose English elsewhere shows the kiosk in Indonesian.
    client.get("/login?lang=en")
    assert '<html lang="id">' in client.get("/kiosk/kupang").get_data(as_text=True)


def test_the_kiosk_asks_the_api_in_its_own_language_without_changing_the_device(client, world):
    sign_in(client, "kiosk")
    response = client.get("/api/v1/offices/kupang/board?lang=en")
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert '<html lang="id">' in client.get("/").get_data(as_text=True)


def test_one_person_ahead_is_said_in_the_singular(client, world):
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang?lang=en").get_data(as_text=True)
    assert "One person ahead of you" in html and "1 people" not in html


def test_the_kiosk_says_before_the_tap_when_its_printer_or_the_blank_cards_fail(
    app, client, world, clock
):
    from app.extensions import db
    from app.models import Office
    from app.print_jobs import save_state, server_state_key

    sign_in(client, "kiosk")
    assert client.get("/kiosk/kupang/notices").get_json() == {
        "printer_down": False,
        "no_blank_cards": False,
    }
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert re.search(r'data-notice="printer_down"[^>]*hidden', html)
    assert re.search(r'data-notice="no_blank_cards"[^>]*hidden', html)

    with app.app_context():
        save_state(db.session, server_state_key(world.office.id), False, "out of paper", clock.now)
        db.session.get(Office, world.office.id).card_stock = 0
        db.session.commit()
    assert client.get("/kiosk/kupang/notices").get_json() == {
        "printer_down": True,
        "no_blank_cards": True,
    }
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert not re.search(r'data-notice="printer_down"[^>]*hidden', html)
    assert "Catat nomor itu atau pindai kode QR" in html
    assert "surat keterangan (suket)" in html
    # Card services (A and B in the world) say it on their button; C makes no card.
    assert len(re.findall(r"data-no-cards\s*>", html)) == sum(
        s.produces_card for s in world.office.services
    )

    # Another office's printer or stock says nothing here; a clerk may not ask.
    sign_in(client, "clerk")
    assert client.get("/kiosk/kupang/notices").status_code == 403
