"""The survey's index worked out by hand for one month, the grade's edges, when a visit may
answer, and a second answer racing the first (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from app.domain import survey
from app.models import SurveyResponse
from tests.domain.conftest import DomainDesk

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def add(desk: DomainDesk, day: date, answers: list[int], service: str = "C") -> None:
    service_id = next(s.id for s in desk.office.services if s.code == service)
    desk.session.add(
        SurveyResponse(
            office_id=desk.office.id,
            service_id=service_id,
            day=day,
            answered_at=desk.now,
            source="status",
            **{f"u{i + 1}": value for i, value in enumerate(answers)},
        )
    )
    desk.session.commit()


def test_one_month_worked_out_by_hand(desk: DomainDesk):
    # Five respondents in November (and one in December, outside the month):
    #            u1 u2 u3 u4 u5 u6 u7 u8 u9
    rows = [
        [4, 3, 2, 4, 3, 4, 4, 2, 3],
        [3, 3, 3, 4, 3, 3, 4, 2, 2],
        [4, 4, 2, 4, 4, 4, 4, 3, 3],
        [3, 2, 1, 4, 3, 3, 3, 1, 2],
        [4, 3, 3, 4, 3, 4, 4, 2, 3],
    ]
    for n, row in enumerate(rows):
        add(desk, date(2026, 11, 2 + n * 5), row)
    add(desk, date(2026, 12, 1), [1] * 9)
    # Sums per element: 18 15 11 20 16 18 19 10 13 -> averages /5:
    # 3.6 3.0 2.2 4.0 3.2 3.6 3.8 2.0 2.6; their sum 28.0; mean 28.0 / 9 = 3.1111...;
    # x 25 = 77.777... -> 77.78, grade B (76.61-88.30).
    score = survey.index(desk.session, desk.office.id, *NOVEMBER)
    assert score.respondents == 5
    assert score.sums == (18, 15, 11, 20, 16, 18, 19, 10, 13)
    assert [float(a) for a in score.averages] == [3.6, 3.0, 2.2, 4.0, 3.2, 3.6, 3.8, 2.0, 2.6]
    assert score.ikm == Decimal("77.78")
    assert score.category == "B"
    names = [e.name for e in survey.ELEMENTS]
    body = survey.report_json(desk.session, desk.office, *NOVEMBER, names)
    assert body["respondents"] == 5 and body["ikm"] == 77.78 and body["category"] == "B"
    assert body["elements"][2] == {"code": "u3", "name": "Service time", "average": 2.2}
    # Per month: November's five, December's one (all 1s: 25.00, D).
    months = survey.by_month(
        survey.indexes_by(
            desk.session, desk.office.id, date(2026, 11, 1), date(2026, 12, 31), SurveyResponse.day
        )
    )
    assert list(months) == ["2026-11", "2026-12"]
    assert months["2026-11"].ikm == Decimal("77.78")
    assert (months["2026-12"].ikm, months["2026-12"].category) == (Decimal("25.00"), "D")


@pytest.mark.parametrize(
    ("value", "letter"),
    [
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ],
)
def test_the_grade_at_its_edges(value, letter):
    assert survey.grade(Decimal(value)) == letter


def test_the_index_rounds_half_up_from_exact_fractions():
    # Sums giving a mean whose x 25 is exactly 88.305 would round to 88.31 (A), not 88.30 (B):
    # 25 x S / (9 n) = 88.305 has no small n; check the rounding itself instead.
    assert survey.round2(Fraction(88305, 1000)) == Decimal("88.31")
    assert survey.round2(Fraction(88304999, 1000000)) == Decimal("88.30")
    # Three respondents, all 4s but one 3 on u9: (8 x 4 + 11/3) / 9 x 25 = 99.0740... -> 99.07.
    score = survey.Score(3, (12, 12, 12, 12, 12, 12, 12, 12, 11))
    assert score.ikm == Decimal("99.07") and score.category == "A"
    assert survey.Score(0, (0,) * 9).ikm is None


def test_when_a_visit_may_answer(desk: DomainDesk):
    done = desk.issue("C")
    desk.call(3)
    assert survey.state(desk.session, done, desk.now) == "not_yet"
    desk.do("finish", done)
    assert survey.state(desk.session, done, desk.now) == "open"
    card = desk.issue("A")
    desk.call(1)
    desk.do("finish", card)
    assert survey.state(desk.session, card, desk.now) == "not_yet"  # ready to print
    desk.stage(card, "printed")
    desk.stage(card, "handed_over")
    assert survey.state(desk.session, card, desk.now) == "open"
    later = desk.now + timedelta(days=survey.OPEN_DAYS + 1)
    assert survey.state(desk.session, card, later) == "closed"
    with pytest.raises(survey.SurveyNotOpen):
        survey.submit(desk.session, card, {f"u{i}": 3 for i in range(1, 10)}, later)
    cancelled = desk.issue("C")
    desk.do("cancel", cancelled)
    assert survey.state(desk.session, cancelled, desk.now) == "none"


def test_two_answers_at_once_keep_one(desk: DomainDesk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("finish", ticket)
    answers = {f"u{i}": 4 for i in range(1, 10)}
    survey.submit(desk.session, ticket, answers, desk.now)
    survey.commit_response(desk.session)
    # The second phone read "open" before the first committed: the unique ticket refuses it.
    desk.session.add(
        SurveyResponse(
            office_id=desk.office.id,
            ticket_id=ticket.id,
            day=ticket.day,
            answered_at=desk.now,
            source="tablet",
            **answers,
        )
    )
    with pytest.raises(survey.SurveyDone):
        survey.commit_response(desk.session)
    assert desk.session.query(SurveyResponse).filter_by(ticket_id=ticket.id).count() == 1
