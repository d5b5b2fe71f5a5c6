"""What enterprises and CCPIT exchange around certificates: parties used to fill them (制单资料), verifications
(核查) and questionnaires (问卷调查)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.chassis.db import new_id, utcnow
from services.chassis.states import status_column
from services.origin_cert.domain.states import QUESTIONNAIRE, QUESTIONNAIRE_ANSWER, VERIFICATION
from services.origin_cert.models.base import Base


class Party(Base):
    """An importer, a producer or a special clause (特殊条款) of one enterprise."""

    __tablename__ = "parties"
    __table_args__ = (Index("ix_parties_org_kind", "organization_id", "kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64))
    # IMPORTER, PRODUCER or SPECIAL_CLAUSE.
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    contact: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # A special clause's wording (printed in the remarks).
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Verification(Base):
    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_org_status", "organization_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    certificate_number: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[str] = mapped_column(String(64))
    branch: Mapped[str] = mapped_column(String(32), index=True)
    # Who asked (e.g. the importing country's customs) and what they ask to see.
    requester: Mapped[str] = mapped_column(String(200), default="")
    questions: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = status_column(VERIFICATION, length=20)
    response_note: Mapped[str] = mapped_column(Text, default="")
    # CONFIRMED or NOT_CONFIRMED, when closed.
    result: Mapped[str] = mapped_column(String(16), default="")
    conclusion: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The branch whose enterprises it is for; HQ: every enterprise.
    branch: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The questions as JSON: [{id, text, kind, options, required}].
    questions: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = status_column(QUESTIONNAIRE, length=16)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuestionnaireAnswer(Base):
    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("questionnaire_id", "organization_id", name="uq_answers_once"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    questionnaire_id: Mapped[str] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = status_column(QUESTIONNAIRE_ANSWER, length=16)
    # {questionId: [chosen options] or [text]} as JSON.
    answers: Mapped[str] = mapped_column(Text, default="{}")
    answered_by: Mapped[str] = mapped_column(String(64), default="")
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
