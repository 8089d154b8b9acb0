"""Where card-ready messages go, chosen by ``SMS_URL``:

- ``log:///path/to/file``: one JSON line ``{"id", "to", "text"}`` per message, appended (for
  trying it out and for tests). Idempotent: a message whose id is already among the file's last
  lines is not written again, so a crash between the write and its record gives no second line.
- ``gammu://`` or ``gammu:///path/to/gammurc``: a GSM modem (a USB stick with a SIM card)
  through ``gammu sendsms TEXT <number> -text <message>``; no internet needed.
- ``gammu-smsd://`` or ``gammu-smsd:///path/to/smsdrc``: the same modem when the Gammu SMS daemon
  holds it, through ``gammu-smsd-inject``.
- ``http://user:password@host:port/path`` (or ``https://``): an SMS gateway app on a phone on the
  LAN: a POST of JSON ``{"to", "text"}`` (``?format=form`` for a form), user and password as
  Basic authentication; any 2xx answer is "sent", anything else an error with its status.

A transport raises ``SmsError`` with a reason when the message could not go. Reasons never carry
the number: they are shown to administrators (``scrub``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

TIMEOUT = 30.0  # seconds a modem or a gateway gets for one message
TAIL_BYTES = 64 * 1024  # how much of a log file's end is read to find a message written before
_DIGITS = re.compile(r"\+?\d[\d\s-]{6,}\d")


class SmsError(Exception):
    """The message could not be sent now; the text says why (without the number)."""


def scrub(text: str, phone: str | None = None) -> str:
    """``text`` with any phone number in it replaced (an error message that quotes it)."""
    if phone:
        text = text.replace(phone, "\u2026").replace("0" + phone[3:], "\u2026")
    return _DIGITS.sub("\u2026", text)


@dataclass
class Transport:
    url: str
    # Whether send() blocks (file and process I/O): then it runs off the event loop.
    blocking: bool = field(default=True, init=False)

    def send(self, message_id: int, to: str, text: str) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """The address without credentials (for logs and the admin page)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass
class LogTransport(Transport):
    path: Path = Path("sms.jsonl")

    def send(self, message_id: int, to: str, text: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.written(message_id):
                return  # written before a restart that came before its record
            line = json.dumps({"id": message_id, "to": to, "text": text}, ensure_ascii=False)
            # One write of a whole line on a descriptor opened for appending, then fsync:
            # the line is in the file, complete, before the message is recorded as sent.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as err:
            raise SmsError(f"cannot write {self.path}: {err.strerror or err}") from None

    def written(self, message_id: int) -> bool:
        """Whether the file's last lines hold message ``message_id``."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - TAIL_BYTES))
                tail = fh.read()
        except FileNotFoundError:
            return False
        for raw in tail.splitlines():
            try:
                if json.loads(raw).get("id") == message_id:
                    return True
            except (ValueError, AttributeError):
                continue  # the first, partial line of the tail
        return False


@dataclass
class GammuTransport(Transport):
    config_file: str | None = None
    daemon: bool = False  # gammu-smsd-inject (the SMS daemon holds the modem)

    def command(self, to: str, text: str) -> list[str]:
        program = "gammu-smsd-inject" if self.daemon else "gammu"
        args = [program]
        if self.config_file:
            args += ["-c", self.config_file]
        if not self.daemon:
            args.append("sendsms")
        args += ["TEXT", to]
        if not text.isascii():
            args.append("-unicode")
        return [*args, "-text", text]

    def send(self, message_id: int, to: str, text: str) -> None:
        command = self.command(to, text)
        if shutil.which(command[0]) is None:
            raise SmsError(f"the {command[0]} command is not installed (apt install gammu)")
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise SmsError(f"{command[0]} did not finish within {TIMEOUT:.0f} s") from None
        except OSError as err:
            raise SmsError(f"{command[0]} could not run: {err.strerror or err}") from None
        if result.returncode != 0:
            said = (result.stderr or result.stdout).decode(errors="replace").strip()
            last = said.splitlines()[-1] if said else ""
            raise SmsError(scrub(f"{command[0]} failed ({result.returncode}): {last}"[:300], to))


@dataclass
class HttpTransport(Transport):
    form: bool = False
    blocking: bool = field(default=False, init=False)  # sockets: green under eventlet

    def _request(self, to: str, text: str) -> urllib.request.Request:
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        mine = [(k, v) for k, v in query if k != "format"]
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
        target = urlunsplit((parts.scheme, host, parts.path or "/", urlencode(mine), ""))
        if self.form:
            body, kind = (
                urlencode({"to": to, "text": text}).encode(),
                "application/x-www-form-urlencoded",
            )
        else:
            body, kind = json.dumps({"to": to, "text": text}).encode(), "application/json"
        request = urllib.request.Request(target, data=body, method="POST")
        request.add_header("Content-Type", kind)
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
        return request

    def send(self, message_id: int, to: str, text: str) -> None:
        try:
            with urllib.request.urlopen(self._request(to, text), timeout=TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as err:
            status = err.code
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise SmsError(scrub(f"cannot reach the SMS gateway: {reason}"[:300], to)) from None
        if not 200 <= status < 300:
            raise SmsError(f"the SMS gateway answered {status}")


def open_transport(url: str) -> Transport:
    """The transport for ``url`` (see the module docstring). Raises ValueError when malformed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "log":
        path = unquote(parts.netloc + parts.path)
        if not path or not path.startswith("/"):
            raise ValueError(
                "log:// needs an absolute file path, e.g. log:///var/lib/loket/sms.log"
            )
        return LogTransport(url, path=Path(path))
    if scheme in ("gammu", "gammu-smsd"):
        config_file = unquote(parts.path) if parts.path not in ("", "/") else None
        return GammuTransport(url, config_file=config_file, daemon=scheme == "gammu-smsd")
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ValueError("http:// needs the gateway's address, e.g. http://192.168.1.60:8080/")
        query = dict(parse_qsl(parts.query))
        form = query.get("format", "json") == "form"
        return HttpTransport(url, form=form)
    raise ValueError(
        f"unknown SMS address {scheme + '://' if scheme else url!r}; use log://, gammu://, "
        "gammu-smsd://, http:// or https://"
    )
