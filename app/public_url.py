"""The base of links that leave the screen: the QR code on paper, the status link in the API.

A link printed on a ticket must never come from what a client said about itself. The ``Host``
header is the client's word: a phone on the guest Wi-Fi could send a 3 KB one (the QR code then
cannot be drawn) or the address of its own site (every resident scanning the ticket lands there).
So the base is, in this order:

1. ``PUBLIC_URL`` when it is set (the office install sets it);
2. the address the request came to, when its host is one this server answers to: a name in
   ``ALLOWED_HOSTS``, ``localhost`` or this machine's own name, or an IP address of this machine;
3. otherwise this machine's own LAN address and ``PORT``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from functools import lru_cache

from flask import current_app, request

# host[:port] as a browser sends it: a DNS name, an IPv4 address or a bracketed IPv6 address.
_HOST = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]{2,45})\]|(?P<name>[A-Za-z0-9.-]{1,253}))(?::\d{1,5})?$"
)


@lru_cache(maxsize=256)
def is_own_address(address: str) -> bool:
    """True when ``address`` is an IP address of this machine (it can be bound to)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


def own_names() -> set[str]:
    name = socket.gethostname().lower()
    return {"localhost", name, f"{name}.local"}


# The LAN address asked of the kernel at most this often: every ticket's link needs it, and a
# socket a ticket was 2 % of issuing's CPU; a new DHCP lease shows within seconds.
LAN_ADDRESS_TTL_S = 5.0
_lan: tuple[float, str] = (float("-inf"), "")


def lan_address() -> str:
    """This machine's address on its LAN (no packet is sent), or 127.0.0.1 without one."""
    global _lan
    checked, address = _lan
    if time.monotonic() - checked < LAN_ADDRESS_TTL_S:
        return address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    _lan = (time.monotonic(), address)
    return address


def trusted_host(host: str) -> bool:
    """Whether ``host`` (a Host header, with or without a port) names this server."""
    match = _HOST.match(host or "")
    if match is None:
        return False
    if match["v6"]:
        return is_own_address(match["v6"])
    name = match["name"].lower().rstrip(".")
    allowed = {h.lower() for h in current_app.config.get("ALLOWED_HOSTS", ())}
    if name in allowed or name in own_names():
        return True
    return is_own_address(name)


def public_base() -> str:
    """The scheme and host that links to this server start with (no trailing slash)."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    if trusted_host(request.host):
        if not is_loopback_host(request.host):
            return request.host_url.rstrip("/")
        # A kiosk browser on the server PC itself asks for "localhost": a phone scanning the
        # paper cannot reach that, so links use this machine's LAN address, on the same port.
        port = _port_of(request.host)
        suffix = f":{port}" if port else ""
        return f"{request.scheme}://{lan_address()}{suffix}"
    port = int(current_app.config.get("PORT") or 80)
    suffix = "" if port == 80 else f":{port}"
    return f"http://{lan_address()}{suffix}"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (with or without a port) is this machine's loopback: localhost, 127.x,
    ::1 (nobody else can open a link to it)."""
    match = _HOST.match(host or "")
    if match is None:
        return False
    name = (match["v6"] or match["name"]).lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _port_of(host: str) -> int | None:
    found = re.search(r":(\d{1,5})$", host or "")
    return int(found[1]) if found and not (host or "").endswith("]") else None


def public_address_warning() -> str | None:
    """Why the links printed on tickets will not open on residents' phones, or None: the public
    address is this machine's loopback (``PUBLIC_URL`` names it, or it is unset and this machine
    has no LAN address)."""
    configured = current_app.config.get("PUBLIC_URL") or ""
    host = re.sub(r"^[a-z]+://", "", configured).split("/")[0]
    if configured and not is_loopback_host(host):
        return None
    if not configured and not ipaddress.ip_address(lan_address()).is_loopback:
        return None
    return "loopback"


def track_url(token: str) -> str:
    """The resident's status page, on a base no client can choose."""
    return f"{public_base()}/t/{token}"


def booking_url(token: str) -> str:
    """The link of a booking's page (its QR code carries it)."""
    return f"{public_base()}/b/{token}"
