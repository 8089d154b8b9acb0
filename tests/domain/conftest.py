"""Domain tests run on SQLite and PostgreSQL through plain function calls with a frozen ``now``."""

from __future__ import annotations

from datetime import datetime

import pytest

from app import domain
from app.domain import Actor
from app.extensions import db
from tests.factories import T0, make_office

OPERATOR = Actor(user_id=None, role="operator", office_id=None, remote_addr="127.0.0.1")
KIOSK = Actor(user_id=None, role="kiosk", office_id=None)
CLERK = Actor(user_id=None, role="clerk", office_id=None)


class DomainDesk:
    """Calls domain functions on one office at a settable time, committing like a view does."""

    def __init__(self, office, now: datetime = T0) -> None:
        self.office = office
        self.now = now
        self.session = db.session

    def counter(self, number: int):
        return next(c for c in self.office.counters if c.number == number)

    def issue(self, service: str = "A", priority: bool = False, actor: Actor = KIOSK):
        ticket = domain.issue(
            self.session, self.office.slug, service, priority=priority, now=self.now, actor=actor
        )
        self.session.commit()
        return ticket

    def call(self, number: int):
        ticket = domain.call_next(
            self.session, self.counter(number).id, now=self.now, actor=OPERATOR
        )
        self.session.commit()
        return ticket

    def do(self, action: str, ticket, **kwargs):
        fn = getattr(domain, action)
        result = fn(
            self.session, ticket.id, now=self.now, actor=kwargs.pop("actor", OPERATOR), **kwargs
        )
        self.session.commit()
        return result

    def stage(self, ticket, stage: str, **kwargs):
        result = domain.set_stage(
            self.session, ticket.id, stage, now=self.now, actor=kwargs.pop("actor", CLERK), **kwargs
        )
        self.session.commit()
        return result

    def refused(self, error: type, fn, *args, **kwargs):
        """Run ``fn`` expecting ``error``; roll back like the error handler does."""
        with pytest.raises(error) as info:
            fn(*args, **kwargs)
        self.session.rollback()
        return info.value


@pytest.fixture
def desk(any_app) -> DomainDesk:
    with any_app.app_context():
        office = make_office(db.session)
        db.session.commit()
        yield DomainDesk(office)
