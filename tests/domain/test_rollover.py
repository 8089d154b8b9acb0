"""Day rollover at midnight in the office's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import domain
from app.domain.events import pending
from app.models import Ticket


def _statuses(desk) -> dict[str, str]:
    desk.session.expire_all()
    return {t.code + "@" + t.day.isoformat(): t.status for t in desk.session.query(Ticket)}


def test_open_tickets_of_yesterday_are_cancelled_by_the_first_action_of_today(desk):
    desk.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 WITA Monday
    waiting, called, done = desk.issue("A"), desk.issue("A"), desk.issue("C")
    desk.call(1)
    desk.call(3)
    desk.do("finish", done)
    desk.now = datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC)  # 00:00:01 WITA Tuesday
    fresh = desk.issue("A")
    assert fresh.code == "A-001"
    assert _statuses(desk) == {
        "A-001@2026-11-30": "cancelled",
        "A-002@2026-11-30": "cancelled",
        "C-001@2026-11-30": "done",
        "A-001@2026-12-01": "waiting",
    }
    assert waiting.id != called.id


def test_nothing_is_cancelled_before_midnight_wita(desk):
    desk.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    desk.issue("A")
    desk.now = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 WITA
    desk.issue("A")
    assert set(_statuses(desk).values()) == {"waiting"}


def test_counter_freed_by_rollover_can_call_today(desk):
    desk.issue("A")
    desk.call(1)  # left called overnight
    desk.now += timedelta(days=1)
    today = desk.issue("A")
    assert desk.call(1).id == today.id


def test_rollover_happens_once_and_records_its_events(desk):
    desk.issue("A")
    desk.now += timedelta(days=1)
    office = desk.office
    cancelled = domain.roll_over(desk.session, office, desk.now)
    events = pending(desk.session)
    desk.session.commit()
    assert cancelled == 1
    assert any(type(e).__name__ == "OfficeChanged" for e in events)
    assert domain.roll_over(desk.session, office, desk.now) == 0


def test_close_day_command_cancels_leftovers(desk, any_app, monkeypatch):
    runner = any_app.test_cli_runner()
    import app.domain as queue_pkg

    desk.issue("A")
    later = desk.now + timedelta(days=1)
    monkeypatch.setattr(queue_pkg, "utcnow", lambda: later)
    result = runner.invoke(args=["loket", "close-day"])
    assert result.exit_code == 0, result.output
    assert "kupang: 1 ticket(s) cancelled" in result.output
    assert set(_statuses(desk).values()) == {"cancelled"}


def test_close_day_today_flag_cancels_todays_open_tickets(desk, any_app, monkeypatch):
    runner = any_app.test_cli_runner()
    import app.domain as queue_pkg

    desk.issue("A")
    monkeypatch.setattr(queue_pkg, "utcnow", lambda: desk.now)
    result = runner.invoke(args=["loket", "close-day", "--today"])
    assert result.exit_code == 0, result.output
    assert set(_statuses(desk).values()) == {"cancelled"}
