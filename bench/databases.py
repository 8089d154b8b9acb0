"""A PostgreSQL database of one's own for a test run or a benchmark, next to the one
TEST_DATABASE_URL names: runs on one machine (two checkouts, CI beside a developer) never empty
each other's tables."""

from __future__ import annotations

import os
import secrets

import psycopg2
from sqlalchemy.engine import URL, make_url


def _admin(url: URL):
    conn = psycopg2.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        connect_timeout=5,
    )
    conn.autocommit = True
    return conn


def fresh_database(base_url: str, prefix: str) -> str:
    """Create an empty database ``<prefix>_<pid>_<random>`` on the server of ``base_url`` and
    return its URL (same credentials)."""
    base = make_url(base_url)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    conn = _admin(base.set(drivername="postgresql"))
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, url: str) -> None:
    """Drop the database of ``url`` (made by fresh_database), closing its connections."""
    name = make_url(url).database
    conn = _admin(make_url(base_url).set(drivername="postgresql"))
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()
