"""The satisfaction survey (Survei Kepuasan Masyarakat, PermenPAN-RB No. 14/2017).

One ``SurveyResponse`` per ticket at most: the nine elements' answers (1-4), where and when the
resident was served, the optional respondent profile (only ever reported in aggregate) and an
optional suggestion, which administrators moderate and ``loket purge`` erases after the
retention period. Nothing personal is asked or kept: the ticket link is what makes a response
one per visit, and ``ticket_id`` becomes NULL if the ticket is ever deleted.

``SurveyWording`` holds an office's own wording of an element; the catalogue's is the default.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

SURVEY_ELEMENTS = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
SURVEY_SOURCES = ("status", "tablet")
SUGGESTION_STATES = ("new", "kept", "hidden")
# The respondent profile of the regulation's questionnaire; each is optional.
AGE_BANDS = ("lt20", "20_29", "30_39", "40_49", "50_59", "60p")
SEXES = ("f", "m")
EDUCATIONS = ("sd", "smp", "sma", "d3", "s1", "s2")
OCCUPATIONS = ("pns", "tni_polri", "swasta", "wirausaha", "pelajar", "lainnya")


def _range(code: str) -> CheckConstraint:
    return CheckConstraint(f"{code} >= 1 AND {code} <= 4", name=f"{code}_range")


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        *(_range(code) for code in SURVEY_ELEMENTS),
        Index("ix_survey_responses_office_day", "office_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), unique=True
    )
    # Where the resident was served last (the service of the visit and its last counter).
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    # The office-local day of the visit: the month of the report.
    day: Mapped[date] = mapped_column(Date)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "status": the resident's own phone; "tablet": the tablet at the counter.
    source: Mapped[str] = mapped_column(String(8))
    u1: Mapped[int] = mapped_column(Integer)
    u2: Mapped[int] = mapped_column(Integer)
    u3: Mapped[int] = mapped_column(Integer)
    u4: Mapped[int] = mapped_column(Integer)
    u5: Mapped[int] = mapped_column(Integer)
    u6: Mapped[int] = mapped_column(Integer)
    u7: Mapped[int] = mapped_column(Integer)
    u8: Mapped[int] = mapped_column(Integer)
    u9: Mapped[int] = mapped_column(Integer)
    age_band: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(1))
    education: Mapped[str | None] = mapped_column(String(8))
    occupation: Mapped[str | None] = mapped_column(String(12))
    suggestion: Mapped[str | None] = mapped_column(Text)
    # None without a suggestion; "new" until an administrator keeps or hides it.
    suggestion_state: Mapped[str | None] = mapped_column(String(8))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def answers(self) -> dict[str, int]:
        return {code: getattr(self, code) for code in SURVEY_ELEMENTS}


class SurveyWording(Base):
    """An office's own wording of one element (its short name and its question)."""

    __tablename__ = "survey_wordings"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    question: Mapped[str] = mapped_column(String(300))
    question_en: Mapped[str] = mapped_column(String(300), default="", server_default="")
