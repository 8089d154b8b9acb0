"""Who may read Loket's files: their owner only.

The instance folder holds the SQLite database and its WAL (password and token hashes, staff
notes), the secret key, the demo passwords, backups and ticket previews. ``secure_instance``
runs when the app is created, so both the server (``python wsgi.py``) and every CLI command
(``flask --app wsgi ...``) create their files 0600 and folders 0700, and it tightens what an
earlier version left readable by every local user.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077  # new files 0600, new folders 0700
FILE_MODE = 0o600
DIR_MODE = 0o700


def secure_instance(path: Path) -> None:
    """Set this process's umask to 0077, create ``path`` if needed, make it 0700, and take
    every permission of group and others from the files and folders in it.

    A subfolder that was already private is not walked (nobody else can reach what is inside),
    so thousands of ticket previews are looked at once, not at every start. Symbolic links are
    left alone. A file that cannot be changed (another owner) is logged, not fatal."""
    os.umask(PRIVATE_UMASK)
    path.mkdir(parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    _walk(path)


def _walk(folder: Path) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError as err:
        log.warning("could not list %s to restrict its permissions: %s", folder, err)
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            if _tighten(Path(entry.path), DIR_MODE):
                _walk(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            _tighten(Path(entry.path), FILE_MODE)


def _tighten(path: Path, mode: int) -> bool:
    """Give ``path`` ``mode`` when group or others had any permission; True if it changed."""
    try:
        current = stat.S_IMODE(os.lstat(path).st_mode)
        if not current & 0o077:
            return False
        os.chmod(path, mode)
        return True
    except OSError as err:
        log.warning("could not restrict the permissions of %s to %o: %s", path, mode, err)
        return False
