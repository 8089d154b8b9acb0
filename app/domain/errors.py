"""The small hierarchy of domain errors, mapped to HTTP in one place (``app.errors``).

Each error carries a stable snake_case ``code`` and an English message template with named
placeholders; the web layer translates the template and formats the values (dates in the
office's language and time zone).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here (domain code has no locale)."""
    return message


class QueueError(Exception):
    """Base of every refusal the domain makes. ``status`` is the HTTP status it maps to."""

    status = 409
    code = "conflict"

    def __init__(self, template: str, *, error_code: str | None = None, **params: Any) -> None:
        self.template = template
        self.params = params
        if error_code is not None:
            self.code = error_code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The sentence in English with plain values (for logs and the CLI)."""
        values = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.params.items()
        }
        return self.template % values if values else self.template


class NotFound(QueueError):
    status = 404
    code = "not_found"


class InvalidInput(QueueError):
    status = 422
    code = "invalid_field"


class InvalidTransition(QueueError):
    status = 409
    code = "invalid_transition"


class CounterBusy(QueueError):
    status = 409
    code = "counter_busy"


class Closed(QueueError):
    """Issuing refused by opening hours, a holiday, the cut-off or the daily quota."""

    status = 409
    code = "service_closed"


class Forbidden(QueueError):
    """The actor's role, or office, may not make this move."""

    status = 403
    code = "forbidden"
