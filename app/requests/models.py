"""The stored request for a strategy discussion, and the shape of what it says.

What the requester wrote is one validated document (RequestData) in a JSON column, as for
records; who asked, its status and the triage outcome are columns, because lists and access
checks filter on them.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from sqlalchemy import JSON, Column, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.domain.choices import Agency, ReferralForm, RequestStatus
from app.domain.fields import LONG_TEXT_MAX, SHORT_TEXT_MAX, _as_list, _blank_to_none
from app.domain.schema import AnyDate, Email, LongText, PastDate, Phone, ShortText

MAX_REQUEST_CHILDREN = 20

# Required text: blank is refused as missing, not stored as an empty string.
RequiredShort = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT_MAX),
                          BeforeValidator(_blank_to_none)]
RequiredLong = Annotated[str, Field(min_length=1, max_length=LONG_TEXT_MAX),
                         BeforeValidator(_blank_to_none)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestChild(_Part):
    name: RequiredShort = Field(title="Child's name")
    unborn: StrictBool = Field(False, title="Unborn")
    date_of_birth: PastDate = Field(None, title="Date of birth")
    expected_delivery_date: AnyDate = Field(None, title="Expected date of delivery")


class RequestData(_Part):
    """What a request says: the JSON API's body and the request form's target."""

    agency: Annotated[Agency | None, BeforeValidator(_blank_to_none)] = Field(
        None, title="Agency requesting the discussion",
        description="A partner agency's users always request for their own agency; "
                    "social-care staff name the agency they act for")
    children: Annotated[list[RequestChild], BeforeValidator(_as_list),
                        Field(min_length=1, max_length=MAX_REQUEST_CHILDREN)] = Field(
        title="The child or children")
    what_happened: RequiredLong = Field(title="What happened")
    why_significant_harm: RequiredLong = Field(
        title="Why you believe the child is suffering, or likely to suffer, significant harm")
    discussed_with_name: ShortText = Field(
        None, title="Manager or safeguarding lead you discussed it with")
    discussed_with_role: ShortText = Field(None, title="Their role")
    discussed_on: PastDate = Field(None, title="Date you discussed it")
    referral_form: Annotated[ReferralForm, BeforeValidator(_blank_to_none)] = Field(
        title="Referral form used")
    requester_role: ShortText = Field(None, title="Your role")
    requester_phone: Phone = Field(None, title="Your phone number")
    requester_email: Email = Field(None, title="Your email address")


class DeclineData(_Part):
    reason: RequiredLong = Field(title="Why a strategy discussion is not needed")
    instead: LongText = Field(None, title="What will happen instead")


class StrategyRequest(SQLModel, table=True):
    __tablename__ = "strategy_request"
    # Social care's queue: waiting requests, oldest first.
    __table_args__ = (Index("ix_strategy_request_status_created", "status", "created_at"),
                      # The requests list, newest first (migration 0013).
                      Index("ix_strategy_request_created", "created_at", "id"),
                      # A partner's own requests, newest first (migration 0020).
                      Index("ix_strategy_request_mine", "created_by_id", "created_at", "id"),
                      # The live audit's request figures, index-only (migration 0024).
                      Index("ix_strategy_request_report", "created_at", postgresql_include=[
                          "agency", "status", "triaged_in_time", "triaged_at"]),
                      # The records behind a request figure, asked a record at a time, and
                      # the foreign key's deletes (migration 0026).
                      Index("ix_strategy_request_record_id", "record_id"))

    id: int | None = DbField(default=None, primary_key=True)
    # The agency that asks; a partner's requests are always their own agency's.
    agency: str = DbField(max_length=40)
    # Who submitted it: a partner sees only the requests they submitted themselves (one
    # agency value covers every school, so "same agency" would show one school another's).
    created_by_id: int = DbField(foreign_key="app_user.id", index=True)
    created_at: datetime
    status: str = DbField(default=RequestStatus.AWAITING.value, max_length=20)
    data: dict = DbField(sa_column=Column(JSON().with_variant(JSONB(), "postgresql"),
                                          nullable=False))
    triaged_at: datetime | None = None
    triaged_by_id: int | None = DbField(default=None, foreign_key="app_user.id")
    # Decided by its triage date (REQUEST_TRIAGE_WORKING_DAYS): judged once, when decided, so
    # the live audit counts it without working out working days for every request.
    triaged_in_time: bool | None = None
    decline_reason: str | None = DbField(default=None, sa_column=Column(Text))
    instead: str | None = DbField(default=None, sa_column=Column(Text))
    # The draft record a convened request started.
    record_id: int | None = DbField(default=None, foreign_key="strategy_record.id")

    @property
    def content(self) -> RequestData:
        return RequestData.model_validate(self.data, context={"stored": True})

    @property
    def children_names(self) -> list[str]:
        return [child.get("name") or "" for child in self.data.get("children") or []]

    @property
    def is_awaiting(self) -> bool:
        """Not yet decided: social care may still convene or decline it."""
        return self.status == RequestStatus.AWAITING

    @property
    def is_convened(self) -> bool:
        return self.status == RequestStatus.CONVENED

    @property
    def is_declined(self) -> bool:
        return self.status == RequestStatus.DECLINED
