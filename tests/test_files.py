"""Loket's files are its owner's alone: the database and its WAL (password and token hashes,
staff notes), the secret key, the demo passwords, backups and ticket previews are 0600 in a 0700
instance folder, made so by Loket itself (the real CLI and a real server), whatever the umask it
was started with and whatever an earlier version left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from app.files import secure_instance
from bench.live import ROOT, LiveServer, wait_for
from printer.preview import preview_png


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _modes(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` (itself included) with its mode."""
    found = {".": _mode(folder)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = _mode(path)
    return found


def _assert_private(folder: Path) -> None:
    loose = {
        name: oct(mode)
        for name, mode in _modes(folder).items()
        if mode != (0o700 if (folder / name).is_dir() else 0o600)
    }
    assert not loose, f"not 0600 files / 0700 folders: {loose}"


@pytest.fixture
def open_umask():
    """Start the commands as a login shell would: umask 0022 (files 0644, folders 0755)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_cli_and_server_keep_every_file_private(tmp_path, open_umask):
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o755)
    # Left readable by everyone by an earlier version.
    (instance / "backup.log").write_text("old\n")
    (instance / "backup.log").chmod(0o644)
    previews = instance / "tickets"
    previews.mkdir()
    previews.chmod(0o755)
    (previews / "A-001.txt").write_text("A-001\n")
    (previews / "A-001.txt").chmod(0o644)
    usb = tmp_path / "usb"  # a backup folder outside Loket's, left as its owner made it
    usb.mkdir()
    usb.chmod(0o755)

    server = LiveServer(instance=instance)
    server.flask("db", "upgrade")
    demo = server.flask("loket", "demo")
    assert "kiosk" in demo
    token = server.flask("loket", "token", "kiosk").strip()
    server.flask("loket", "backup", str(instance / "copy.db"))
    server.flask("loket", "backup", str(usb))
    assert _mode(instance) == 0o700
    _assert_private(instance)
    names = set(_modes(instance))
    for name in ("loket.db", "secret_key", "demo-credentials.txt", "copy.db", "backup.log"):
        assert name in names
    (outside,) = usb.glob("loket-*.db")
    assert _mode(outside) == 0o600 and _mode(usb) == 0o755

    server.start()
    try:
        response = requests.post(
            f"{server.url}/api/v1/offices/kupang/tickets",
            json={"service": "A"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        wait_for(lambda: len(list(previews.glob("*.bin"))) >= 1, "the ticket preview")
        wait_for((instance / "loket.db-wal").exists, "the server's WAL file")
        # While the server runs: the WAL and shared-memory files too.
        assert {"loket.db-wal", "loket.db-shm"} <= set(_modes(instance))
        _assert_private(instance)
        # Its picture, drawn when it is first opened (here by this process, umask 0022).
        (name,) = (p.stem for p in previews.glob("*.bin"))
        assert preview_png(previews, name, 576).exists()
        _assert_private(instance)
    finally:
        server.stop()
    _assert_private(instance)


def test_secure_instance_leaves_links_and_what_they_point_to_alone(tmp_path, open_umask):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    elsewhere = tmp_path / "shared.txt"
    elsewhere.write_text("not Loket's\n")
    elsewhere.chmod(0o644)
    (folder / "link.txt").symlink_to(elsewhere)
    (folder / "notes.txt").write_text("x\n")
    (folder / "notes.txt").chmod(0o664)
    secure_instance(folder)
    assert _mode(folder) == 0o700 and _mode(folder / "notes.txt") == 0o600
    assert _mode(elsewhere) == 0o644
    # From now on this process creates private files and folders by itself.
    (folder / "new.txt").write_text("y\n")
    (folder / "new").mkdir()
    assert _mode(folder / "new.txt") == 0o600 and _mode(folder / "new") == 0o700


def test_starting_leaves_nothing_in_the_temporary_folder_and_caches_printer_profiles(tmp_path):
    """python-escpos made a new folder in /tmp at every import (hundreds over a month of restarts
    and CLI runs) and parsed its printer profiles every time; they are cached in the instance's
    own private folder instead."""
    instance, temporary = tmp_path / "instance", tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "LOKET_INSTANCE_DIR": str(instance), "TMPDIR": str(temporary)}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, check=True)
    assert list(temporary.iterdir()) == []
    cache = instance / "cache"
    assert _mode(cache) == 0o700
    (pickle,) = cache.iterdir()
    assert pickle.name.endswith(".capabilities.pickle") and _mode(pickle) == 0o600
