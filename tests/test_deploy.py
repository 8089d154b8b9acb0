"""The files in deploy/ work: the kiosk launcher starts Chromium the right way and recovers it,
the systemd unit passes systemd's own check, the udev rule is well formed, and the unit, its
environment file, the nginx example and the README's installation agree with one another."""

from __future__ import annotations

import http.server
import ipaddress
import os
import re
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from config import Config
from tests.services import need

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "deploy" / "loket-kiosk.sh"
UNIT = ROOT / "deploy" / "loket@.service"
ENV_FILE = ROOT / "deploy" / "loket.env"
NGINX_EXAMPLE = ROOT / "deploy" / "nginx-loket.conf"
README = ROOT / "README.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _fake_chromium(folder: Path) -> Path:
    """A stand-in for Chromium that writes down how it was started and exits."""
    fake = folder / "chromium"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$LOKET_TEST_ARGS"\nexit 0\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _run(url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LOKET_TEST_ARGS": str(tmp_path / "args.txt"),
        "LOKET_KIOSK_ONCE": "1",
        **env,
    }
    return subprocess.run(
        ["/bin/sh", str(LAUNCHER), url], env=base, capture_output=True, text=True, timeout=60
    )


def test_launcher_opens_the_page_full_screen_in_its_own_profile(tmp_path, page_server):
    _fake_chromium(tmp_path)
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    # As left by a power cut: Chromium would offer to restore the session over the page.
    (profile / "Default" / "Preferences").write_text(
        '{"profile":{"exited_cleanly":false,"exit_type":"Crashed"}}'
    )
    result = _run(page_server + "display/kupang", tmp_path, LOKET_KIOSK_PROFILE=str(profile))
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "args.txt").read_text().split("\n")
    assert args[:2] == ["--kiosk", page_server + "display/kupang"]
    assert f"--user-data-dir={profile}" in args
    assert "--autoplay-policy=no-user-gesture-required" in args  # the TV's chime and voice
    assert "--disable-session-crashed-bubble" in args
    prefs = (profile / "Default" / "Preferences").read_text()
    assert '"exited_cleanly":true' in prefs and '"exit_type":"Normal"' in prefs


def test_launcher_refuses_a_bad_address_and_a_missing_browser(tmp_path):
    bad = _run("kupang", tmp_path)
    assert bad.returncode == 2 and "http://" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = _run("http://127.0.0.1:9/", tmp_path, PATH=str(empty), CHROMIUM="")
    assert missing.returncode == 3 and "apt install chromium" in missing.stderr


def test_launcher_restarts_chromium_when_it_exits(tmp_path, page_server):
    counter = tmp_path / "starts"
    fake = tmp_path / "chromium"
    fake.write_text(
        f'#!/bin/sh\necho x >> "{counter}"\n'
        f'[ $(wc -l < "{counter}") -ge 2 ] && kill $PPID\nexit 1\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["/bin/sh", str(LAUNCHER), page_server], env=env, capture_output=True, text=True, timeout=60
    )
    assert counter.read_text().count("x") == 2
    assert "starting it again" in result.stderr


def test_systemd_unit_passes_systemd_analyze(tmp_path):
    analyze = shutil.which("systemd-analyze")
    need(analyze is not None, "checking the unit needs systemd-analyze (Debian package systemd)")
    unit = (ROOT / "deploy" / "loket@.service").read_text().replace("/opt/loket", str(ROOT))
    path = tmp_path / "loket@5001.service"
    path.write_text(unit)
    result = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (
        "ExecStart=/opt/loket/.venv/bin/python wsgi.py"
        in (ROOT / "deploy" / "loket@.service").read_text()
    )


def test_udev_rule_lines_are_well_formed():
    rule = re.compile(r'^(?:[A-Za-z{}]+(?:==|=)"[^"]*"(?:, )?)+$')
    lines = [
        line
        for line in (ROOT / "deploy" / "99-loket-printer.rules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 2
    for line in lines:
        assert rule.match(line), line
        assert 'GROUP="lp"' in line and 'MODE="0660"' in line


# --- The unit, deploy/loket.env, the nginx example and the README tell one story -------------


def _env_file(text: str) -> dict[str, str]:
    """NAME=value lines as systemd's EnvironmentFile= reads them; comments on their own line."""
    settings = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"not NAME=value: {line!r}"
        # systemd would keep a trailing "# comment" or spaces as part of the value.
        assert re.fullmatch(r"[^\s#'\"]*", value), f"{name}: value with spaces or a comment"
        assert name not in settings, f"{name} set twice"
        settings[name] = value
    return settings


def _unit_lines(name: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text().splitlines()
        if line.startswith(f"{name}=")
    ]


def _unit_environment() -> dict[str, str]:
    found = {}
    for line in _unit_lines("Environment"):
        for assignment in line.split():
            name, _, value = assignment.partition("=")
            found[name] = value
    return found


def _upstreams(conf: str) -> list[tuple[str, int]]:
    block = re.search(r"upstream loket \{(.*?)\}", conf, re.S)
    assert block, "no upstream loket { ... } in the nginx example"
    return [
        (host, int(port))
        for host, port in re.findall(r"^\s*server\s+([0-9.:\[\]a-z]+):(\d+)\s*;", block[1], re.M)
    ]


def _readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _enabled_ports(text: str) -> list[set[int]]:
    """The ports of each ``systemctl enable --now loket@A loket@B`` in ``text``."""
    return [
        {int(port) for port in re.findall(r"loket@(\d+)", found)}
        for found in re.findall(r"systemctl enable --now((?: loket@\d+)+)", text)
    ]


def test_the_unit_reads_the_example_environment_file_and_contradicts_nothing_in_it():
    files = _unit_lines("EnvironmentFile")
    assert len(files) == 1, files
    # Required (no leading "-"): without its settings a process would listen on every interface.
    assert files[0].startswith("/"), files[0]
    installed = Path(files[0])
    assert (ROOT / "deploy" / installed.name) == ENV_FILE and ENV_FILE.exists()
    # The README installs exactly that file there.
    assert f"deploy/loket.env {installed}" in _readme_section("Installing in an office")
    settings = _env_file(ENV_FILE.read_text())
    unit_env = _unit_environment()
    assert unit_env.get("PORT") == "%i"  # each process its own port, from its instance name
    assert "PORT" not in settings  # the file, read after Environment=, would give all one port
    for name, value in unit_env.items():
        assert settings.get(name, value) == value, f"{name}: unit {value}, file {settings[name]}"


def test_the_example_environment_fits_the_nginx_example_in_front():
    settings = _env_file(ENV_FILE.read_text())
    conf = NGINX_EXAMPLE.read_text()
    upstreams = _upstreams(conf)
    assert len(upstreams) == 2, upstreams
    # nginx reaches the processes where they listen, and that is this machine only.
    assert {host for host, _ in upstreams} == {settings["HOST"]}
    assert ipaddress.ip_address(settings["HOST"]).is_loopback
    # One proxy: every location appends the client to X-Forwarded-For once, so the processes
    # trust exactly one hop.
    locations = re.findall(r"location [^{]+\{(.*?)\n    \}", conf, re.S)
    assert locations and all("proxy_pass http://loket;" in body for body in locations)
    for body in locations:
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in body
    assert int(settings["TRUSTED_PROXIES"]) == 1
    # The processes the unit's comment and the README start are the ports nginx sends to.
    ports = {port for _, port in upstreams}
    assert _enabled_ports(UNIT.read_text()) == [ports]
    assert _enabled_ports(_readme_section("Several server processes")) == [ports]
    every_instance = re.findall(
        r"loket@(\d+)(?![\d.])",  # a unit instance, not postgresql://loket@127.0.0.1
        README.read_text() + "".join(p.read_text() for p in (ROOT / "deploy").iterdir()),
    )
    assert every_instance and {int(port) for port in every_instance} <= ports
    # Devices and QR codes use nginx's address: PUBLIC_URL, on the port nginx listens on.
    listen = re.search(r"^\s*listen (\d+);", conf, re.M)
    public = settings["PUBLIC_URL"]
    assert listen and re.fullmatch(r"http://[0-9.]+", public) and listen[1] == "80"
    host = public.removeprefix("http://")
    places = [_readme_section("Installing in an office"), ENV_FILE.read_text()]
    places += [p.read_text() for p in (ROOT / "deploy").glob("loket-kiosk.*")]
    addresses = re.findall(rf"https?://{re.escape(host)}[^\s`'\"]*", "\n".join(places))
    assert len(addresses) >= 5
    for address in addresses:
        assert address == public or address.startswith(public + "/"), address


def test_the_office_installs_the_example_without_its_second_process(tmp_path):
    """The README's office runs one process and feeds nginx the example through a sed line:
    run that line, and what nginx gets sends to exactly the processes started there."""
    office = _readme_section("Installing in an office")
    command = re.search(r"^sed '([^']+)' deploy/nginx-loket.conf \| sudo tee (\S+)", office, re.M)
    assert command, "no sed ... deploy/nginx-loket.conf | sudo tee ... line in the README"
    result = subprocess.run(
        ["sed", command[1], str(NGINX_EXAMPLE)], capture_output=True, text=True, check=True
    )
    started = _enabled_ports(office)
    assert len(started) == 1
    assert {port for _, port in _upstreams(result.stdout)} == started[0]
    # Only the upstream line went: the limits and the rest stay as tested.
    assert len(result.stdout.splitlines()) == len(NGINX_EXAMPLE.read_text().splitlines()) - 1
    need(Path(NGINX).exists(), "checking the nginx example needs nginx (Debian package nginx)")
    for name, site in (("office", result.stdout), ("city", NGINX_EXAMPLE.read_text())):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "loket.conf").write_text(site.replace("listen 80;", "listen 127.0.0.1:1;"))
        main = folder / "nginx.conf"
        main.write_text(
            f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            f"events {{}}\nhttp {{ include {folder}/loket.conf; }}\n"
        )
        check = subprocess.run(
            [NGINX, "-t", "-q", "-e", str(folder / "error.log"), "-c", str(main)],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, (name, check.stderr)


def test_the_readme_quotes_the_environment_file_as_it_is():
    blocks = re.findall(r"^```sh\n(.*?)^```$", README.read_text(), re.S | re.M)
    quoted = [block for block in blocks if re.search(r"^TRUSTED_PROXIES=", block, re.M)]
    assert quoted == [ENV_FILE.read_text()]


def test_the_environment_file_reads_the_same_in_sh_as_in_systemd():
    """The README runs commands with ``set -a; . /etc/loket/loket.env``."""
    script = f'set -a; . "{ENV_FILE}"; env -0'
    result = subprocess.run(["sh", "-c", script], env={}, capture_output=True, check=True)
    seen = dict(item.split("=", 1) for item in result.stdout.decode().split("\0") if "=" in item)
    for name, value in _env_file(ENV_FILE.read_text()).items():
        assert seen.get(name) == value, name


def test_a_config_from_the_environment_file_sends_the_remember_cookie_like_the_session(
    monkeypatch,
):
    settings = _env_file(ENV_FILE.read_text())
    monkeypatch.setenv("SECRET_KEY", "x" * 64)  # leaves the instance folder alone
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    config = Config()
    host = settings["HOST"]
    assert host == config.HOST and config.TRUSTED_PROXIES == 1
    assert config.REMEMBER_COOKIE_SECURE == config.SESSION_COOKIE_SECURE
    # Once nginx serves HTTPS: both cookies go over HTTPS only.
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    secure = Config()
    assert secure.SESSION_COOKIE_SECURE is True and secure.REMEMBER_COOKIE_SECURE is True


def test_nginx_caps_each_client_address():
    """Behind the proxy the processes see one address, 127.0.0.1; nginx caps each client."""
    conf = NGINX_EXAMPLE.read_text()
    zone = re.search(r"^limit_conn_zone \$binary_remote_addr zone=(\w+):\d+m;$", conf, re.M)
    assert zone, "no limit_conn_zone per client address at the http level"
    server = conf[conf.index("\nserver {") :]
    cap = re.search(rf"^    limit_conn {zone[1]} (\d+);$", server, re.M)
    assert cap and 50 <= int(cap[1]) <= 1000  # room for phones behind one router, not unbounded
    for directive in ("client_max_body_size 1m;", "client_header_timeout 10s;"):
        assert f"\n    {directive}\n" in server, directive
