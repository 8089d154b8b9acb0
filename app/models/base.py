"""Declarative base, naming convention and the UTC timestamp type shared by all models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, inspect, literal_column
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

# Stable constraint names so Alembic migrations name things the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    Raises ValueError when given a naive datetime, so local times cannot slip in by mistake.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sql_constant(value: str) -> Any:
    """``value`` written into the statement, not bound: SQLite uses a partial index only when the
    query spells out the index's condition; a bound parameter ("status = ?", "status IN (?, ?)")
    makes it fall back to scanning the whole table (a year of tickets, jobs or messages)."""
    assert value.isidentifier()
    return literal_column(f"'{value}'")


_COLUMNS: dict[type, frozenset[str]] = {}


def _columns(cls: type) -> frozenset[str]:
    columns = _COLUMNS.get(cls)
    if columns is None:
        columns = _COLUMNS[cls] = frozenset(a.key for a in inspect(cls).column_attrs)
    return columns


def as_loaded(session: Session | scoped_session, cls: type[T], values: dict[str, Any]) -> T:
    """The ``cls`` row ``values`` (read or written by a Core statement: every column, with its
    id) as a persistent instance of ``session``, as if the ORM had loaded it: reading it loads
    nothing, a later change flushes as an UPDATE. An instance of that row the session already
    holds gets the new values instead, except where it has a change not yet written (a Core
    statement does not flush first; that change is kept and written at the next flush).

    Many-to-one relationships may be given too (``office=...``): objects of the same session,
    taken as loaded. About a fifth of an ORM load: no row processors, no attribute events, no
    cascade walk (what it refers to is in the session already).
    """
    key = (cls, (values["id"],), None)  # the identity map's key (no inheritance, one token)
    existing = session.identity_map.get(key)
    if existing is not None:
        changed = instance_state(existing).committed_state  # changes not yet written
        for name, value in values.items():
            if name not in changed:  # a pending change stays, to be written at the flush
                set_committed_value(existing, name, value)
        return existing
    missing = _columns(cls) - values.keys()
    if missing:  # a column left out would read as None instead of loading
        raise ValueError(f"as_loaded({cls.__name__}) needs every column: {sorted(missing)}")
    instance = cls._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)  # committed state, no history
    state = instance_state(instance)
    state.key = key
    own = session.registry() if isinstance(session, scoped_session) else session
    own._update_impl(state)  # what Session.add does for a row with an identity, minus cascade
    return instance
