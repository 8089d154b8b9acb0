"""``flask --app wsgi loket ...``: demo data, users, API tokens, closing the day, purging
old notes, backups, the preview printer's pictures."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from . import domain
from .auth.tokens import issue_token
from .auth.users import create_user, new_password, set_active, set_password
from .demo import seed
from .domain.audit import record_change
from .domain.errors import QueueError
from .extensions import db
from .models import ROLES, Office, User
from .public_url import lan_address, public_address_warning

NO_TABLES = (
    "The database has no tables yet: run `flask --app wsgi db upgrade` first (`make run` does it)."
)


def _no_tables(error: DBAPIError) -> bool:
    """Whether ``error`` says a table is missing (SQLite's message, PostgreSQL's code 42P01)."""
    return "no such table" in str(error.orig) or getattr(error.orig, "pgcode", None) == "42P01"


class _LoketGroup(AppGroup):
    """Commands run against a database that has not been set up answer with what to do, not a
    traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DBAPIError as error:
            if _no_tables(error):
                raise click.ClickException(NO_TABLES) from None
            raise


loket = _LoketGroup("loket", help="Loket administration commands.")
user_group = AppGroup("user", help="Manage staff and device accounts.")
loket.add_command(user_group)

CREDENTIALS_FILE = "demo-credentials.txt"
# Who the audit trail names for changes made on the command line.
CLI_ACTOR = domain.Actor(None, "system", None, "command line")


def _fail(err: QueueError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(err.message)


def _credentials_path() -> Path:
    return Path(current_app.instance_path) / CREDENTIALS_FILE


@loket.command("demo")
def demo() -> None:
    """Seed the demo offices and users if the database has no office (idempotent).

    Each demo account gets its own random password, printed here once and kept in
    instance/demo-credentials.txt (0600); a later run changes nothing and prints no password."""
    created = seed(db.session, domain.utcnow())
    path = _credentials_path()
    if created is None:
        db.session.rollback()
        click.echo("Demo data: the database already has offices; nothing added.")
        if path.exists():
            click.echo(f"The demo passwords are in {path} (readable by its owner only).")
        return
    db.session.commit()
    lines = ["Demo accounts (user name / password, each its own):"]
    lines += [f"  {name:<9} {password}" for name, password in created.items()]
    text = "\n".join(lines)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)  # also when an earlier file was readable by others
        fh.write(text + "\n")
    click.echo("Demo data created: offices kupang, oebobo, kota-raja.")
    click.echo(text)
    click.echo(f"These passwords are shown once; they are kept in {path} (owner only).")


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--office", "office_slug", help="office slug (required except for admins)")
@click.option("--password", help="password (default: a generated one, printed once)")
@click.option("--display-name", default="", help="name shown on staff screens")
@click.option(
    "--prints-via-agent",
    is_flag=True,
    help="a kiosk whose printer is driven by a remote print agent",
)
def user_add(
    name: str,
    role: str,
    office_slug: str | None,
    password: str | None,
    display_name: str,
    prints_via_agent: bool,
) -> None:
    """Add a user NAME with a ROLE."""
    try:
        office = domain.office_by_slug(db.session, office_slug) if office_slug else None
        generated = password is None
        password = password or new_password()
        user = create_user(
            db.session,
            name,
            role,
            office=office,
            password=password,
            now=domain.utcnow(),
            display_name=display_name,
        )
        user.prints_via_agent = prints_via_agent
    except QueueError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"User {name.lower()} ({role}) added.")
    if generated:
        click.echo(f"Password: {password}")


@user_group.command("password")
@click.argument("name")
@click.option("--password", help="new password (default: a generated one, printed once)")
def user_password(name: str, password: str | None) -> None:
    """Set a new password for NAME (also unlocks the account)."""
    user = db.session.scalar(select(User).where(User.username == name.lower()))
    if user is None:
        raise click.ClickException(f"There is no user {name}.")
    generated = password is None
    password = password or new_password()
    try:
        set_password(user, password)
    except QueueError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"Password of {user.username} changed.")
    if generated:
        click.echo(f"Password: {password}")


def _user_named(name: str) -> User:
    user = db.session.scalar(select(User).where(User.username == name.strip().lower()))
    if user is None:
        raise click.ClickException(f"There is no user {name}.")
    return user


@user_group.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Disable NAME: no sign-in, no token; live connections close within seconds."""
    _switch(name, False)


@user_group.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """Enable NAME again (their tokens work again; browsers sign in anew)."""
    _switch(name, True)


def _switch(name: str, active: bool) -> None:
    user = _user_named(name)
    changed = set_active(user, active)
    if changed:
        action = "user.enable" if active else "user.disable"
        record_change(db.session, CLI_ACTOR, domain.utcnow(), action, user.username)
    db.session.commit()
    if not changed:
        state = "enabled" if active else "disabled"
        click.echo(f"User {user.username} was already {state}.")
    elif active:
        click.echo(f"User {user.username} enabled.")
    else:
        click.echo(f"User {user.username} disabled; their screens and devices are signed out.")


@loket.command("token")
@click.argument("name")
@click.option("--label", default="", help="what the token is for")
def token(name: str, label: str) -> None:
    """Print a new API bearer token for user NAME (the token alone, one line)."""
    user = db.session.scalar(select(User).where(User.username == name.lower()))
    if user is None or not user.active:
        raise click.ClickException(f"There is no active user {name}.")
    value = issue_token(db.session, user, domain.utcnow(), label=label or "cli")
    db.session.commit()
    click.echo(value)


@loket.command("close-day")
@click.option(
    "--today",
    "include_today",
    is_flag=True,
    help="also cancel today's tickets still open (after the office has closed)",
)
def close_day(include_today: bool) -> None:
    """Cancel tickets left waiting, called or serving from earlier office-local days."""
    now = domain.utcnow()
    total = 0
    for office in db.session.scalars(select(Office).order_by(Office.slug)).all():
        count = domain.roll_over(db.session, office, now, include_today=include_today)
        db.session.commit()
        total += count
        click.echo(f"{office.slug}: {count} ticket(s) cancelled")
    click.echo(f"Total: {total}")


@loket.command("voice")
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for the clips (default: display/static/voice)",
)
def voice(target: str | None) -> None:
    """Generate the TV's voice clips with espeak-ng and sox (offline)."""
    from display.voice import VOICE_DIR, generate

    try:
        made = generate(Path(target) if target else VOICE_DIR)
    except RuntimeError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"{len(made)} clips written to {made[0].parent}")


@loket.command("urls")
def urls() -> None:
    """Print the addresses of the pages (kiosk, counter, display, admin) that this build has."""
    host = current_app.config["HOST"]
    port = current_app.config["PORT"]
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    base = current_app.config.get("PUBLIC_URL") or f"http://{shown}:{port}"
    has = current_app.blueprints
    click.echo(f"Loket will serve on http://{host}:{port}")
    click.echo(f"  start page      {base}/")
    click.echo(f"  staff sign-in   {base}/login")
    for blueprint, name, path in (
        ("counter", "counter", "/counter"),
        ("station", "print station", "/station/print"),
        ("station", "handover desk", "/station/handover"),
        ("admin", "admin", "/admin"),
    ):
        if blueprint in has:
            click.echo(f"  {name:<15} {base}{path}")
    for office in db.session.scalars(select(Office).order_by(Office.slug)).all():
        pages = [
            f"{name} {base}/{name}/{office.slug}" for name in ("kiosk", "display") if name in has
        ]
        click.echo(f"  {office.slug:<15} " + "   ".join(pages))
    db.session.rollback()
    if public_address_warning():
        click.echo(
            "Warning: the QR codes on tickets and the device sign-in links will point to this "
            "machine's loopback address, which phones and other PCs cannot open. Connect this PC "
            "to the office network, or set PUBLIC_URL to its LAN address (e.g. "
            "PUBLIC_URL=http://192.168.1.10:5000) in the environment file."
        )
    elif not current_app.config.get("PUBLIC_URL"):
        click.echo(
            f"Links on tickets use this PC's LAN address ({lan_address()}); set PUBLIC_URL "
            "to give them a fixed address."
        )


@loket.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="retention period in days (default: NOTE_RETENTION_DAYS, 30)",
)
def purge(days: int | None) -> None:
    """Erase staff notes older than the retention period, and any phone number of a card-ready
    message no longer needed; counts stay for reports."""
    from .maintenance import fold_log, purge_notes, purge_phones

    retention = days or current_app.config["NOTE_RETENTION_DAYS"]
    done = purge_notes(db.session, domain.utcnow(), retention)
    phones = purge_phones(db.session, domain.utcnow())
    db.session.commit()
    folded = fold_log(db.engine)
    click.echo(
        f"Phone numbers of card-ready messages erased: {phones}."
        + ("" if folded else " The database is busy; run loket purge again to clear its log.")
    )
    click.echo(
        f"Notes older than {retention} days erased: {done.ticket_notes} on cards, "
        f"{done.event_notes} in ticket histories, {done.suggestions} survey suggestions; "
        f"{done.login_links} old sign-in links deleted."
    )


@loket.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH (a file or a folder) while the server runs."""
    from .maintenance import BackupError, backup_sqlite

    try:
        written = backup_sqlite(db.engine, path, domain.utcnow())
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Backup written to {written} ({written.stat().st_size // 1024} KiB), checked.")


@loket.command("preview")
@click.argument("names", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="every ticket printed so far")
@click.option("--text", "as_text", is_flag=True, help="print the tickets as text instead")
def preview(names: tuple[str, ...], everything: bool, as_text: bool) -> None:
    """Draw tickets of the preview printer (no PRINTER_URL) as PNG and print where each is, or
    with --text print them here as text.

    Printing keeps only a ticket's bytes; its picture is drawn the first time it is asked for
    here and kept. NAMES are the tickets' file names (.bin or .png optional); without any, the
    last ticket printed."""
    from printer.transports import PreviewTransport

    from .print_jobs import print_service

    transport = print_service(current_app).transport
    if not isinstance(transport, PreviewTransport):
        raise click.ClickException("PRINTER_URL is not the preview printer (preview://).")
    printed = transport.names()
    wanted = list(names) or (printed if everything else printed[-1:])
    if not wanted:
        raise click.ClickException(f"No ticket printed yet in {transport.folder}.")
    for name in wanted:
        stem = name.removesuffix(".bin").removesuffix(".png").removesuffix(".txt")
        try:
            if as_text:
                click.echo(f"== {stem}\n{transport.text(stem)}")
            else:
                click.echo(transport.picture(stem))
        except (FileNotFoundError, ValueError):
            raise click.ClickException(f"No ticket {name!r} in {transport.folder}.") from None


def init_app(app: Flask) -> None:
    app.cli.add_command(loket)
