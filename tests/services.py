"""Outside services the tests may need: PostgreSQL, Redis, Chromium.

Locally a test that needs a missing service is skipped with the reason; when ``CI`` is set it
fails instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = bool(os.environ.get("CI"))


def need(available: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) unless ``available``."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI requires this: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_url() -> str:
    """TEST_DATABASE_URL, checked by connecting once."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    need(
        bool(url),
        "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/test)",
    )
    try:
        import psycopg2

        from app.db import normalise_url

        psycopg2.connect(
            normalise_url(url).replace("postgresql+psycopg2", "postgresql"), connect_timeout=3
        ).close()
    except Exception as err:  # noqa: BLE001 - any failure means "not available"
        need(False, f"PostgreSQL at TEST_DATABASE_URL is not reachable: {err}")
    return url


def redis_url() -> str:
    """TEST_REDIS_URL, checked with a PING."""
    url = os.environ.get("TEST_REDIS_URL", "")
    need(bool(url), "Redis tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as err:  # noqa: BLE001
        need(False, f"Redis at TEST_REDIS_URL is not reachable: {err}")
    return url


CHROMIUM = "/usr/bin/chromium"


def chromium_path() -> str:
    need(
        shutil.which(CHROMIUM) is not None,
        f"browser tests need Chromium at {CHROMIUM} (Debian package chromium)",
    )
    return CHROMIUM
