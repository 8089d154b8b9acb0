"""The rotating code that proves a phone is in the waiting room.

The TV and the kiosk show a QR code of ``/p/{office}/{code}``; the code changes every
``PERIOD_S`` seconds and is accepted for two periods (the one shown and the one before), so a
photo sent to someone at home is useless a minute or two later. It is an HMAC of the office and
the period under the server's secret: nothing is stored, and several server processes agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

PERIOD_S = 60
VALID_PERIODS = 2  # the current one and the one before: valid 1-2 minutes after it is shown


def _code(secret: str, office_id: int, period: int) -> str:
    digest = hmac.new(
        secret.encode(), f"presence:{office_id}:{period}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode().lower()  # 16 characters


def current_code(secret: str, office_id: int, now: datetime) -> str:
    return _code(secret, office_id, int(now.timestamp()) // PERIOD_S)


def seconds_left(now: datetime) -> int:
    """Seconds until the code shown now changes."""
    return PERIOD_S - int(now.timestamp()) % PERIOD_S


def is_valid(
    secret: str, office_id: int, code: str, now: datetime, periods: int = VALID_PERIODS
) -> bool:
    """Whether ``code`` was shown within the last ``periods`` periods."""
    period = int(now.timestamp()) // PERIOD_S
    return any(
        hmac.compare_digest(code.encode(), _code(secret, office_id, period - back).encode())
        for back in range(periods)
    )
