"""Housekeeping: erasing staff notes after the retention period, and an online SQLite backup."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .domain import Actor
from .domain.audit import record_change
from .domain.notices import erase_stale_phones
from .models import LoginLink, SurveyResponse, Ticket, TicketEvent


@dataclass(frozen=True)
class Purged:
    ticket_notes: int
    event_notes: int
    login_links: int
    suggestions: int = 0


def purge_notes(session: Session, now: datetime, retention_days: int) -> Purged:
    """Erase the free-text notes staff wrote about tickets and cards (they may name people)
    when older than ``retention_days``; statuses, stages and times stay, so reports keep their
    counts. A card still being worked on keeps its note until it has been quiet that long.
    The residents' survey suggestions go too (the answers stay: they are the index).
    Also deletes used or expired device sign-in links. The caller commits."""
    if retention_days < 1:
        raise ValueError("the retention period is at least one day")
    cutoff = now - timedelta(days=retention_days)
    no_sync = {"synchronize_session": False}
    tickets = session.execute(
        update(Ticket)
        .where(Ticket.stage_note.is_not(None), Ticket.updated_at < cutoff)
        .values(stage_note=None),
        execution_options=no_sync,
    ).rowcount
    events = session.execute(
        update(TicketEvent)
        .where(TicketEvent.note.is_not(None), TicketEvent.at < cutoff)
        .values(note=None),
        execution_options=no_sync,
    ).rowcount
    suggestions = session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.suggestion.is_not(None), SurveyResponse.answered_at < cutoff)
        .values(suggestion=None, suggestion_state=None),
        execution_options=no_sync,
    ).rowcount
    links = (
        session.query(LoginLink)
        .filter(
            (LoginLink.used_at.is_not(None) & (LoginLink.used_at < cutoff))
            | (LoginLink.expires_at < now)
        )
        .delete(synchronize_session=False)
    )
    result = Purged(tickets, events, links, suggestions)
    record_change(
        session,
        Actor.system(),
        now,
        "notes.purge",
        f"{retention_days} days",
        {
            "ticket_notes": [None, tickets],
            "event_notes": [None, events],
            "login_links": [None, links],
            "suggestions": [None, suggestions],
        },
    )
    return result


def purge_phones(session: Session, now: datetime) -> int:
    """Erase the phone numbers of card-ready messages that are no longer needed (the message
    ended, the card was handed over, or the day it was given ended): they are erased at those
    moments already, this is the belt to those braces. Returns how many were left; the caller
    commits, then calls ``fold_log``."""
    erased = erase_stale_phones(session, now)
    if erased:
        record_change(
            session, Actor.system(), now, "phones.purge", "card notices", {"phones": [None, erased]}
        )
    return erased


def fold_log(engine: Engine) -> bool:
    """SQLite: copy the write-ahead log into the database and empty it, so the earlier versions
    of pages (with a number erased since) are gone from the disk. False when the server's
    readers kept it from finishing (the next purge finishes it); PostgreSQL: nothing to do."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # no transaction: a checkpoint runs outside one
    try:
        cursor = raw.cursor()
        busy, _log, _moved = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return busy == 0


BACKUP_MODE = 0o600


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def backup_sqlite(engine: Engine, target: Path, now: datetime) -> Path:
    """Copy the live SQLite database to ``target`` (a file, or a folder for a dated file) with
    SQLite's online backup API: consistent while the server keeps writing. The copy is checked
    and only then renamed into place, readable by its owner only (0600). Returns the path
    written."""
    if engine.dialect.name != "sqlite":
        raise BackupError("The database is PostgreSQL; back it up with pg_dump (see the README).")
    source = engine.url.database
    if not source or source == ":memory:":
        raise BackupError("The database lives in memory; there is no file to back up.")
    if target.is_dir():
        target = target / f"loket-{now.strftime('%Y%m%d-%H%M%S')}.db"
    if target.resolve() == Path(source).resolve():
        raise BackupError("The backup cannot overwrite the live database.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    # The copy holds password and token hashes and staff notes: its owner alone may read it,
    # wherever it goes and whatever the umask. Created here, new, with that mode (SQLite gives
    # its journal the same); no chmod, which a FAT-formatted USB stick would refuse.
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE))
    except OSError as err:
        raise BackupError(f"The backup cannot be written to {target.parent}: {err}.") from None
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # Small steps let the server's writers in between; a write restarts the copy.
            src.backup(dst, pages=1024, sleep=0.005)
            dst.execute("PRAGMA journal_mode=DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
    except sqlite3.Error as err:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {err}.") from None
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check: {verdict}.")
    os.replace(partial, target)
    return target
