"""Signed-in browser clients for the administration pages (English, so messages read plainly)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from tests.web import csrf_token, sign_in


class Browser:
    """The Flask test client as one signed-in person with a browser."""

    def __init__(self, client, username: str, lang: str = "en") -> None:
        self.client = client
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.set_cookie("lang", lang)

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, form_page: str | None = None):
        """Submit a form at ``path`` with the CSRF token of ``form_page`` (default: ``path``)."""
        token = csrf_token(self.client.get(form_page or "/account/password").get_data(as_text=True))
        return self.client.post(path, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def admin(client, world) -> Browser:
    return Browser(client, "admin")


@pytest.fixture
def signed_in_as(app, world):
    """``signed_in_as("clerk")``: another person on their own client."""

    def make(username: str, lang: str = "en") -> Browser:
        return Browser(app.test_client(), username, lang)

    return make


def text(response) -> str:
    return response.get_data(as_text=True)


def errors(response) -> list[str]:
    """The field errors a form page shows."""
    return re.findall(r'<small class="error" role="alert">([^<]*)</small>', text(response))


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
