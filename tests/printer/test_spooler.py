"""The spooler on its own: order, retries with backoff, giving up, blocking sends."""

from __future__ import annotations

from datetime import timedelta

from printer.spooler import Spooler, backoff
from tests.printer.spooling import T0, MemoryJobs, Recorder, StepClock


def test_jobs_print_in_order_one_at_a_time():
    store, transport = MemoryJobs(3), Recorder()
    spooler = Spooler(store, transport, clock=StepClock())
    while spooler.step() is not None:
        pass
    assert transport.sent == ["job-1", "job-2", "job-3"]
    assert [r["status"] for r in store.rows] == ["printed"] * 3


def test_failure_keeps_the_job_first_and_backs_off():
    store, transport, clock = MemoryJobs(2), Recorder(fail=3), StepClock()
    spooler = Spooler(store, transport, clock=clock)
    delays = []
    for _ in range(3):
        delays.append(spooler.step())  # an attempt that fails
        assert 0 < spooler.step() <= delays[-1]  # nothing is tried before the retry time
        clock.now += timedelta(seconds=delays[-1])
    assert delays == [1.0, 2.0, 4.0]
    assert store.rows[0]["status"] == "pending" and store.rows[0]["error"] == "printer unplugged"
    assert store.rows[1]["status"] == "pending"  # waits behind the first: order is kept
    spooler.step()
    assert transport.sent == ["job-1"]
    assert store.states[0] == (False, "printer unplugged") and store.states[-1] == (True, None)


def test_backoff_grows_to_thirty_seconds():
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 6, 9)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_job_that_cannot_print_for_long_gives_up_and_the_next_one_prints():
    store, transport, clock = MemoryJobs(2), Recorder(fail=1), StepClock()
    store.rows[1]["created"] = T0 + timedelta(minutes=20)  # queued later
    spooler = Spooler(store, transport, clock=clock, expire_after=timedelta(minutes=30))
    spooler.step()  # the printer is unplugged
    clock.now += timedelta(minutes=31)
    spooler.step()  # back, but the first ticket is too old to be of use: it is not printed
    assert store.rows[0]["status"] == "failed"
    assert store.rows[0]["error"] == "not printed in time; expired"
    spooler.step()
    assert transport.sent == ["job-2"]


class WithDeadlines(MemoryJobs):
    """Jobs with their own deadline (an arrival ticket's is a few minutes)."""

    def __init__(self, deadlines) -> None:
        super().__init__(len(deadlines))
        self.deadlines = deadlines

    def head(self, target):
        job = super().head(target)
        if job is not None:
            job.expires_at = self.deadlines[job.id - 1]
        return job


def test_a_job_past_its_own_deadline_is_dropped_and_the_next_one_prints():
    clock = StepClock()
    store = WithDeadlines([T0 + timedelta(minutes=3), T0 + timedelta(minutes=30)])
    transport = Recorder(fail=1)
    spooler = Spooler(store, transport, clock=clock, expire_after=timedelta(minutes=30))
    spooler.step()  # the printer is off
    clock.now += timedelta(minutes=3)
    spooler.step()
    assert store.rows[0]["status"] == "failed" and transport.sent == []
    spooler.step()
    assert transport.sent == ["job-2"]


def test_blocking_transport_goes_through_the_executor():
    calls = []

    def executor(fn, *args):
        calls.append(fn)
        return fn(*args)

    store, transport = MemoryJobs(1), Recorder(blocking=True)
    Spooler(store, transport, run_blocking=executor, clock=StepClock()).step()
    assert calls == [transport.send] and transport.sent == ["job-1"]


class Held(MemoryJobs):
    """The head job is being printed by someone else (another process, or this server before a
    power cut) until its lease runs out."""

    def claim(self, job, now):
        return False


def test_a_job_someone_else_holds_is_looked_at_again_later_not_at_once():
    store, transport = Held(1), Recorder()
    delay = Spooler(store, transport, clock=StepClock()).step()
    assert delay is not None and delay >= 1.0
    assert transport.sent == []


def test_the_loop_lets_others_run_between_jobs_and_waits_when_a_job_is_held():
    events: list[tuple[str, float]] = []
    spooler = Spooler(MemoryJobs(3), Recorder(), clock=StepClock())

    def sleep(seconds: float) -> None:
        events.append(("yield", seconds))

    def wait(seconds: float) -> bool:
        events.append(("wait", seconds))
        spooler.stop()  # idle: end the loop
        return False

    spooler._sleep, spooler._wait = sleep, wait
    spooler.run_forever()
    # Three jobs, each followed by a yield to the event loop, then the idle wait.
    assert events == [("yield", 0), ("yield", 0), ("yield", 0), ("wait", 2.0)]

    held = Spooler(Held(1), Recorder(), clock=StepClock())
    waits: list[float] = []

    def held_wait(seconds: float) -> bool:
        waits.append(seconds)
        held.stop()
        return False

    held._sleep, held._wait = sleep, held_wait
    held.run_forever()
    assert waits == [2.0]  # not a spin: a real wait


class DatabaseAway(MemoryJobs):
    """The database goes away just after a ticket came out of the printer, for ``outage`` tries
    to record it; claiming still works (as it does once the lease of the job runs out)."""

    def __init__(self, count: int, outage: int) -> None:
        super().__init__(count)
        self.outage = outage

    def done(self, job, now):
        if self.outage:
            self.outage -= 1
            raise ConnectionError("the database is away")
        super().done(job, now)


def test_a_ticket_printed_while_the_database_is_away_is_recorded_later_and_never_printed_again():
    store, transport = DatabaseAway(2, outage=3), Recorder()
    spooler = Spooler(store, transport, clock=StepClock())
    for _ in range(3):  # the run loop logs these and tries again after its poll
        try:
            spooler.step()
        except ConnectionError:
            pass
    assert transport.sent == ["job-1"]
    assert store.rows[0]["status"] == "printing"  # not recorded yet
    while spooler.step() is not None:
        pass
    assert transport.sent == ["job-1", "job-2"]  # job 1 once, although it could be claimed again
    assert [r["status"] for r in store.rows] == ["printed", "printed"]
