"""The office's guest Wi-Fi as a QR code: residents' phones join it to open their status page.

The payload is the one phone cameras understand (Android 10+, iOS 11+, ZXing):
``WIFI:T:WPA;S:<name>;P:<password>;H:true;;`` — ``T:nopass`` and no ``P`` for an open network,
``H:true`` only for a hidden one; in the name and the password a backslash, ``;``, ``,``, ``:``
and ``"`` are escaped with a backslash (ZXing's "Wi-Fi Network config" format).

The rules an administrator's values must follow live here too, so the settings form and the
payload agree: a name of 1 to 32 bytes in UTF-8 (the 802.11 limit), a WPA password of 8 to 63
printable ASCII characters (the WPA2/WPA3 passphrase), no control characters in either.
"""

from __future__ import annotations

import re

from .domain.errors import N_

MAX_SSID_BYTES = 32
PASSWORD_LENGTH = (8, 63)
# Every control character, tab and line breaks included: none belongs in a network's name.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_PRINTABLE_ASCII = re.compile("[\x20-\x7e]*")
_SPECIAL = re.compile(r'([\\;,:"])')


def escape(value: str) -> str:
    """``value`` with ``\\ ; , : "`` escaped by a backslash, as the WIFI: payload wants."""
    return _SPECIAL.sub(r"\\\1", value)


def qr_payload(ssid: str, password: str = "", hidden: bool = False) -> str:
    """The WIFI: text of a QR code that joins ``ssid`` (an open network when ``password`` is
    empty). An empty ``ssid`` has no payload (empty string)."""
    if not ssid:
        return ""
    parts = ["WIFI:", "T:WPA;" if password else "T:nopass;", f"S:{escape(ssid)};"]
    if password:
        parts.append(f"P:{escape(password)};")
    if hidden:
        parts.append("H:true;")
    return "".join(parts) + ";"


def office_payload(office) -> str:
    """The WIFI: payload of ``office``'s guest network ("" when it has none)."""
    return qr_payload(office.wifi_ssid or "", office.wifi_password or "", bool(office.wifi_hidden))


def ssid_problem(ssid: str) -> str | None:
    """Why ``ssid`` cannot be a network's name (a catalogue message), or None. Empty is fine:
    it turns the Wi-Fi QR code off."""
    if _CONTROL.search(ssid):
        return N_("The network name may not contain control characters (tabs, line breaks).")
    if len(ssid.encode("utf-8")) > MAX_SSID_BYTES:
        return N_(
            "A network name has at most 32 bytes: 32 plain letters or digits, fewer with "
            "accents or emoji."
        )
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a WPA password (a catalogue message), or None. Empty is fine:
    an open network."""
    if not password:
        return None
    if _CONTROL.search(password):
        return N_("The Wi-Fi password may not contain control characters (tabs, line breaks).")
    if not _PRINTABLE_ASCII.fullmatch(password):
        return N_(
            "A Wi-Fi password uses only the keyboard's plain letters, digits, symbols and "
            "spaces (no accented letters or emoji)."
        )
    low, high = PASSWORD_LENGTH
    if not low <= len(password) <= high:
        return N_(
            "A WPA Wi-Fi password has 8 to 63 characters; leave it empty for an open network."
        )
    return None
