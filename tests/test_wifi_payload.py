"""The guest Wi-Fi's QR text (app.wifi): the WIFI: format phones read, its escaping, and the
rules for a network's name and password."""

from __future__ import annotations

import re

import pytest

from app.wifi import escape, password_problem, qr_payload, ssid_problem


def parse(payload: str) -> dict[str, str]:
    """A reader of the WIFI: format written from ZXing's description (not from app.wifi): fields
    ``K:value;`` where a backslash takes the next character as it is; the text ends with ";;"."""
    assert payload.startswith("WIFI:") and payload.endswith(";;"), payload
    fields: dict[str, str] = {}
    rest = payload[len("WIFI:") : -1]
    while rest:
        key, rest = rest.split(":", 1)
        value, i = [], 0
        while rest[i] != ";":
            if rest[i] == "\\":
                i += 1
            value.append(rest[i])
            i += 1
        fields[key] = "".join(value)
        rest = rest[i + 1 :]
    return fields


def test_a_wpa_network():
    assert qr_payload("Dukcapil-Tamu", "antre-dengan-tenang") == (
        "WIFI:T:WPA;S:Dukcapil-Tamu;P:antre-dengan-tenang;;"
    )


def test_a_hidden_network_says_so():
    assert qr_payload("Dukcapil-Tamu", "antre-dengan-tenang", hidden=True) == (
        "WIFI:T:WPA;S:Dukcapil-Tamu;P:antre-dengan-tenang;H:true;;"
    )


def test_an_open_network_has_nopass_and_no_password_field():
    assert qr_payload("Dukcapil Tamu") == "WIFI:T:nopass;S:Dukcapil Tamu;;"
    assert qr_payload("Dukcapil Tamu", "", hidden=True) == "WIFI:T:nopass;S:Dukcapil Tamu;H:true;;"


def test_no_name_no_payload():
    assert qr_payload("", "antre-dengan-tenang") == ""


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a;b", r"a\;b"),
        ("a,b", r"a\,b"),
        ("a:b", r"a\:b"),
        ('say "hi"', r"say \"hi\""),
        ("back\\slash", r"back\\slash"),
        ("\\;", r"\\\;"),
        (";;", r"\;\;"),
        ("ends with \\", "ends with \\\\"),
        ("Kafé ☕ 2.4GHz", "Kafé ☕ 2.4GHz"),  # only the five characters are escaped
        ("a'b&c<d>|e", "a'b&c<d>|e"),
    ],
)
def test_the_five_special_characters_are_escaped_with_a_backslash(raw, escaped):
    assert escape(raw) == escaped


@pytest.mark.parametrize(
    ("ssid", "password"),
    [
        ('Kantor;"Tamu",1:2\\', 'p;a,s:s"w\\o:r;d'),
        ("\\", "\\\\\\\\\\\\\\\\"),
        (";", ";;;;;;;;"),
        ("H:true", "T:nopass;;"),
        ("Kafé ☕", " spasi di tepi "),
    ],
)
def test_names_and_passwords_with_special_characters_come_back_exactly(ssid, password):
    for hidden in (False, True):
        fields = parse(qr_payload(ssid, password, hidden))
        expected = {"T": "WPA", "S": ssid, "P": password}
        if hidden:
            expected["H"] = "true"
        assert fields == expected


def test_an_escaped_field_never_ends_early():
    payload = qr_payload("a\\", "b\\;P:evil")
    # Every ";" inside a value is preceded by an odd number of backslashes.
    body = payload[len("WIFI:") :]
    separators = [m.start() for m in re.finditer(r"(?<!\\)(?:\\\\)*;", body)]
    assert len(separators) == 4  # after T, S and P, and the closing one


@pytest.mark.parametrize(
    ("ssid", "ok"),
    [
        ("", True),
        ("T", True),
        ("x" * 32, True),
        ("x" * 33, False),
        ("é" * 16, True),  # 32 bytes
        ("é" * 17, False),  # 34 bytes
        ("☕" * 10, True),  # 30 bytes
        ("☕" * 11, False),  # 33 bytes
        ("Tamu\tKantor", False),
        ("Tamu\n", False),
        ("Tamu\x7f", False),
        ("Tamu\x85", False),
        (' ;,:"\\', True),
    ],
)
def test_a_network_name_is_1_to_32_bytes_without_control_characters(ssid, ok):
    assert (ssid_problem(ssid) is None) is ok


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("", True),  # an open network
        ("1234567", False),
        ("12345678", True),
        ("~" * 63, True),
        ("~" * 64, False),
        ("kata sandi", True),
        (" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", True),
        ("kata-sandié", False),
        ("kata-sandi☕", False),
        ("kata\tsandi", False),
        ("katasandi\r\n", False),
    ],
)
def test_a_wpa_password_is_8_to_63_printable_ascii_characters(password, ok):
    assert (password_problem(password) is None) is ok
