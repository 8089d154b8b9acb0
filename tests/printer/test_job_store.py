"""The job store's one-statement claim (``take``): it takes the head of an office's queue only
when that job may print now, and leaves every other case to the spooler's head/claim path (which
says why it waits or fails). Real databases (SQLite and PostgreSQL), the office's real spooler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import domain
from app.extensions import db
from app.models import PrintJob
from app.print_jobs.store import LEASE, DatabaseJobs
from printer.spooler import HELD_RETRY, MAX_ATTEMPTS, NOT_IN_TIME, Spooler
from tests.printer.spooling import Recorder, spooler_of


@pytest.fixture
def app(any_app):
    """Each test on SQLite and on PostgreSQL (the statements differ in how they lock)."""
    return any_app


def _jobs(app, world) -> DatabaseJobs:
    return DatabaseJobs(app, world.office.id)


def _rows(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(PrintJob.status, PrintJob.attempts, PrintJob.last_error).order_by(PrintJob.id)
        ).all()
        db.session.rollback()
    return [tuple(r) for r in rows]


def _set(app, **values) -> None:
    with app.app_context():
        first = db.session.scalar(select(PrintJob.id).order_by(PrintJob.id).limit(1))
        db.session.execute(update(PrintJob).where(PrintJob.id == first).values(**values))
        db.session.commit()


def test_take_claims_the_head_in_order_and_gives_its_attempts_before_the_claim(
    app, api, world, clock
):
    first, second = api.issue("A"), api.issue("C")
    jobs = _jobs(app, world)
    taken = jobs.take("server", clock(), MAX_ATTEMPTS)
    assert taken is not None and taken.payload["code"] == first["code"]
    assert taken.attempts == 0  # as head() would have given it
    assert _rows(app) == [("printing", 1, None), ("pending", 0, None)]
    # A job "printing" under a live claim is held: nobody takes it, nor the one behind it.
    assert jobs.take("server", clock(), MAX_ATTEMPTS) is None
    jobs.done(taken, clock())
    assert jobs.take("server", clock(), MAX_ATTEMPTS).payload["code"] == second["code"]


def test_take_leaves_a_head_that_must_wait_or_fail_to_the_spooler(app, api, world, clock):
    api.issue("A")
    jobs = _jobs(app, world)
    now = clock()
    _set(app, next_attempt_at=now + timedelta(seconds=8))  # waiting for its next try
    assert jobs.take("server", now, MAX_ATTEMPTS) is None
    assert jobs.take("server", now + timedelta(seconds=9), MAX_ATTEMPTS) is not None
    # Its claim ran out (the process that took it died): taken again, once the lease is over.
    assert jobs.take("server", now + timedelta(seconds=9) + LEASE / 2, MAX_ATTEMPTS) is None
    assert jobs.take("server", now + timedelta(seconds=10) + LEASE, MAX_ATTEMPTS) is not None
    _set(app, status="pending", attempts=MAX_ATTEMPTS)  # tried too often
    assert jobs.take("server", now + 2 * LEASE, MAX_ATTEMPTS) is None


def test_a_head_past_its_paper_deadline_is_not_taken_and_the_spooler_drops_it(
    app, api, world, clock
):
    api.issue("A")
    spooler = spooler_of(app)
    spooler.transport = Recorder()
    clock.advance(minutes=app.config["ARRIVAL_PAPER_MINUTES"], seconds=1)
    assert _jobs(app, world).take("server", clock(), MAX_ATTEMPTS) is None
    assert spooler.step() == 0.0
    assert _rows(app) == [("failed", 0, NOT_IN_TIME)]
    assert spooler.transport.sent == []


def test_the_spooler_records_a_job_and_takes_the_next_in_one_step(app, api, world, clock):
    api.issue("A"), api.issue("A")
    spooler = spooler_of(app)
    spooler.transport = Recorder()
    assert spooler.step() == 0.0
    # The first printed; the second claimed in the same transaction, printed at the next step.
    assert _rows(app) == [("printed", 1, None), ("printing", 1, None)]
    assert spooler.step() == 0.0
    assert _rows(app) == [("printed", 1, None), ("printed", 1, None)]
    assert spooler.step() is None  # nothing left
    assert len(spooler.transport.sent) == 2


def test_the_spooler_waits_on_a_head_another_process_holds(app, api, world, clock):
    api.issue("A")
    jobs = _jobs(app, world)
    assert jobs.take("server", clock(), MAX_ATTEMPTS) is not None  # another spooler's claim
    spooler = spooler_of(app)
    spooler.transport = Recorder()
    assert spooler.step() == HELD_RETRY
    assert spooler.transport.sent == []


class UnheardCommit:
    """The app's job store, but the connection breaks as ``method`` commits, ``times`` times:
    with ``saved`` the commit went through before the break (the spooler cannot tell which)."""

    def __init__(self, jobs: DatabaseJobs, method: str, *, saved: bool, times: int = 1) -> None:
        self.jobs, self.method, self.saved, self.times = jobs, method, saved, times

    def __getattr__(self, name):
        real = getattr(self.jobs, name)
        if name != self.method:
            return real

        def breaking(*args):
            if not self.times:
                return real(*args)
            self.times -= 1
            if self.saved:
                real(*args)
            raise ConnectionError("server closed the connection unexpectedly")

        return breaking


def _spooler(store) -> Spooler:
    """A spooler of the office's server printer over ``store``, as the app builds it."""
    return Spooler(store, Recorder(), "server", clock=lambda: domain.utcnow())


def _step_through_outage(spooler) -> None:
    with pytest.raises(ConnectionError):
        spooler.step()


@pytest.mark.parametrize("saved", [True, False], ids=["saved", "lost"])
def test_a_claim_whose_commit_went_unheard_does_not_hold_the_queue(app, api, world, saved):
    """The database went away as the spooler recorded a ticket and claimed the next: whether
    that commit was saved or not, the next ticket prints at the next step, not a lease later,
    and once."""
    first, second = api.issue("A"), api.issue("A")
    store = UnheardCommit(_jobs(app, world), "done_and_take", saved=saved)
    spooler = _spooler(store)
    _step_through_outage(spooler)  # A-001 printed; recording it and claiming A-002 unheard
    assert len(spooler.transport.sent) == 1
    if saved:  # A-002 held by a claim nobody acts on
        assert _rows(app) == [("printed", 1, None), ("printing", 1, None)]
    assert spooler.step() == 0.0  # A-001 recorded, A-002 put back, taken and printed
    assert len(spooler.transport.sent) == 2
    assert _rows(app) == [("printed", 1, None), ("printed", 1, None)]  # the claim no attempt
    assert spooler.step() is None
    assert [first["code"], second["code"]] == ["A-001", "A-002"]


def test_a_take_whose_commit_went_unheard_prints_at_the_next_step(app, api, world):
    api.issue("A")
    spooler = _spooler(UnheardCommit(_jobs(app, world), "take", saved=True))
    _step_through_outage(spooler)
    assert spooler.transport.sent == [] and _rows(app) == [("printing", 1, None)]
    assert spooler.step() == 0.0
    assert len(spooler.transport.sent) == 1 and _rows(app) == [("printed", 1, None)]


def test_a_claim_in_doubt_waits_while_the_database_is_still_away(app, api, world):
    api.issue("A")
    jobs = _jobs(app, world)
    spooler = _spooler(UnheardCommit(jobs, "take", saved=True))
    _step_through_outage(spooler)
    spooler.store = UnheardCommit(jobs, "unclaim", saved=False, times=2)
    spooler._unclaim = spooler.store.unclaim
    for _ in range(2):  # still away: nothing sent, the claim still in doubt
        _step_through_outage(spooler)
    assert spooler.transport.sent == [] and _rows(app) == [("printing", 1, None)]
    assert spooler.step() == 0.0
    assert len(spooler.transport.sent) == 1 and _rows(app) == [("printed", 1, None)]


def test_unclaim_puts_back_only_the_claim_made_at_that_moment(app, api, world, clock):
    api.issue("A"), api.issue("C")
    jobs = _jobs(app, world)
    taken = jobs.take("server", clock(), MAX_ATTEMPTS)
    assert jobs.unclaim("server", clock() - timedelta(microseconds=1)) == 0
    assert _jobs(app, world).unclaim("agent", clock()) == 0  # another printer's claims
    assert jobs.unclaim("server", clock()) == 1
    assert _rows(app) == [("pending", 0, None), ("pending", 0, None)]
    assert jobs.take("server", clock(), MAX_ATTEMPTS).id == taken.id


def test_a_failure_the_database_did_not_hear_is_recorded_first_not_held_for_the_lease(
    app, api, world, clock
):
    """The printer was off, and the database went away as the spooler recorded that: at the
    next step the failure is recorded (the job waits for its next try, 1 s), not left "printing"
    under this spooler's own claim for a minute, with every ticket behind it."""
    api.issue("A"), api.issue("A")
    spooler = _spooler(UnheardCommit(_jobs(app, world), "failed", saved=False))
    spooler.transport = Recorder(fail=1)
    _step_through_outage(spooler)
    assert _rows(app)[0][0] == "printing"  # as the database last heard
    assert spooler.step() == 1.0  # recorded; its next try in a second, as after any failure
    assert _rows(app)[0] == ("pending", 1, "printer unplugged")
    clock.advance(seconds=1)
    assert spooler.step() == 0.0 and spooler.step() == 0.0
    assert len(spooler.transport.sent) == 2
    assert _rows(app) == [("printed", 2, None), ("printed", 1, None)]
