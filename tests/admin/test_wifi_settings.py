"""The office's guest Wi-Fi in its settings: validated with sentences, audited without the
password's value."""

from __future__ import annotations

import json

import pytest

from .conftest import audit, errors, text
from .test_forms import SETTINGS, office

GOOD = {"wifi_ssid": "Dukcapil-Tamu", "wifi_password": "antre-dengan-tenang", "wifi_hidden": ""}


def test_the_settings_page_says_what_the_wifi_is_for(admin, signed_in_as):
    page = text(admin.get("/admin/kupang/settings"))
    assert 'name="wifi_ssid"' in page and 'name="wifi_password"' in page
    assert 'name="wifi_hidden"' in page
    assert "open their status page" in page
    indonesian = signed_in_as("admin", lang="id")
    assert "halaman status" in text(indonesian.get("/admin/kupang/settings"))


def test_a_name_and_a_password_are_saved_and_the_trail_never_holds_the_password(app, admin):
    done = admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, "wifi_hidden": "y"})
    assert done.status_code == 302, errors(done)
    saved = office(app)
    assert (saved.wifi_ssid, saved.wifi_password, saved.wifi_hidden) == (
        "Dukcapil-Tamu",
        "antre-dengan-tenang",
        True,
    )
    [first] = audit(app, "office.update")
    details = json.loads(first.details)
    assert details["wifi_ssid"] == ["", "Dukcapil-Tamu"]
    assert details["wifi_password"] == [None, "***"]
    assert details["wifi_hidden"] == [False, True]
    assert "antre-dengan-tenang" not in first.details

    # A new password: the trail says it changed, not to what.
    admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, "wifi_password": "kata sandi baru"})
    # Back to an open network.
    admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, "wifi_password": ""})
    changes = [json.loads(e.details) for e in audit(app, "office.update")]
    assert [c.get("wifi_password") for c in changes] == [
        [None, "***"],
        ["***", "***"],
        ["***", None],
    ]
    everything = " ".join(e.details for e in audit(app, "office.update"))
    assert "kata sandi baru" not in everything and "antre-dengan-tenang" not in everything
    assert office(app).wifi_password == ""
    # The trail page shows the change without the password.
    trail = text(admin.get("/admin/kupang/trail"))
    assert "wifi_password: *** → —" in trail and "kata sandi baru" not in trail


def test_the_name_is_trimmed_and_may_have_accents_and_symbols(app, admin):
    name = ' Kafé; "Tamu", 1:2\\ '
    done = admin.post("/admin/kupang/settings", {**SETTINGS, "wifi_ssid": name})
    assert done.status_code == 302, errors(done)
    assert office(app).wifi_ssid == name.strip()
    assert office(app).wifi_password == ""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"wifi_ssid": "x" * 33}, "at most 32 bytes"),
        ({"wifi_ssid": "é" * 17}, "at most 32 bytes"),  # 34 bytes in UTF-8
        ({"wifi_ssid": "Tamu\tKantor"}, "control characters"),
        ({"wifi_ssid": "Tamu\nKantor"}, "control characters"),
        ({"wifi_password": "pendek"}, "8 to 63 characters"),
        ({"wifi_password": "x" * 64}, "8 to 63 characters"),
        ({"wifi_password": "kata-sandi-é"}, "plain letters"),
        ({"wifi_password": "katasandi\t1"}, "control characters"),
        ({"wifi_ssid": "", "wifi_password": "antre-dengan-tenang"}, "needs the network"),
    ],
)
def test_bad_wifi_values_are_refused_with_a_sentence(app, admin, values, message):
    bad = admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, **values})
    assert bad.status_code == 400
    assert any(message in e for e in errors(bad)), errors(bad)
    assert office(app).wifi_ssid == ""
    assert audit(app, "office.update") == []


@pytest.mark.parametrize("field", ["wifi_ssid", "wifi_password"])
def test_a_control_character_is_refused_beside_its_field_and_the_form_kept(app, admin, field):
    # ESC is dropped from other fields; in these it would change the network, so it is refused
    # on the form itself (not on an error page that loses what was typed).
    bad = admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, field: "tamu\x1bkantor"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "may not contain control characters" in page
    assert 'value="Dukcapil-Tamu"' in page or field == "wifi_ssid"
    assert 'value="antre-dengan-tenang"' in page or field == "wifi_password"
    assert office(app).wifi_ssid == ""


def test_32_bytes_and_63_characters_are_the_limits_not_past_them(app, admin):
    limits = {"wifi_ssid": "é" * 16, "wifi_password": "~" * 63}
    done = admin.post("/admin/kupang/settings", {**SETTINGS, **limits})
    assert done.status_code == 302, errors(done)
    assert (office(app).wifi_ssid, office(app).wifi_password) == ("é" * 16, "~" * 63)
    assert office(app).wifi_password == "~" * 63


def test_an_empty_name_turns_the_wifi_off(app, admin):
    admin.post("/admin/kupang/settings", {**SETTINGS, **GOOD, "wifi_hidden": "y"})
    off = admin.post(
        "/admin/kupang/settings",
        {**SETTINGS, "wifi_ssid": "", "wifi_password": "", "wifi_hidden": "y"},
    )
    assert off.status_code == 302, errors(off)
    saved = office(app)
    assert (saved.wifi_ssid, saved.wifi_password, saved.wifi_hidden) == ("", "", False)
