"""Reading a record without an account: personal links, one-time codes, short sessions.

- `RecipientLink`: one version sent to one named person (an organisation's contact, or its
  safeguarding mailbox) through one personal link. Beside the organisation's receipt
  (app/sending/models.RecordReceipt), it records when that person first opened and downloaded
  the version. The link's secret is stored only as a SHA-256 hash; it is made by the worker
  when it sends the email (so it is never at rest in plain text, not even in the outbox).
- `LinkCode`: a one-time code sent to the link's address; made (and hashed) by the worker as
  it sends the code email, valid LINK_CODE_MINUTES from then, LINK_CODE_MAX_TRIES tries.
- `LinkSession`: what a correct code opens: a short session bound to the link.
- `InformationRequest`: social care asking one organisation's contact for its part before a
  discussion, through a personal link with no receipt (it reads no version); what they send
  back is stored here once, as received, and never changed (app/links/contributions.py).
- `LinkAttempt`: every code request and code try, written before it is judged (the sign-in
  throttle's pattern, app/auth/throttle.py), counted per recipient address and per client
  address.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _cascade(table: str, nullable: bool = False) -> Column:
    return Column(Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable,
                  index=True)


class RecipientLink(SQLModel, table=True):
    __tablename__ = "recipient_link"

    id: int | None = Field(default=None, primary_key=True)
    # The version sent; None for a link asking for information (an InformationRequest's).
    receipt_id: int | None = Field(default=None, sa_column=_cascade("record_receipt", True))
    record_id: int = Field(sa_column=_cascade("strategy_record"))
    version: int
    organisation_id: int = Field(foreign_key="organisation.id")
    # The named contact; None for the organisation's own address (its safeguarding mailbox).
    contact_id: int | None = Field(default=None, foreign_key="organisation_contact.id")
    # Copied when sent: the directory may change later; the audit log names this person.
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    # The email notice carrying it (its secret is made when that notice is delivered).
    notification_id: int | None = Field(default=None, sa_column=_cascade("notification", True))
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    sent_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    first_opened_at: datetime | None = None
    first_downloaded_at: datetime | None = None


class LinkCode(SQLModel, table=True):
    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(sa_column=_cascade("recipient_link"))
    notification_id: int | None = Field(default=None, sa_column=_cascade("notification", True))
    requested_at: datetime
    # Set by the worker as it sends the code: until then the code does not exist.
    code_hash: str | None = Field(default=None, max_length=64)
    expires_at: datetime | None = None
    tries: int = 0
    used_at: datetime | None = None
    # A newer code for the same link replaces this one.
    replaced: bool = False


class LinkSession(SQLModel, table=True):
    __tablename__ = "link_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    link_id: int = Field(sa_column=_cascade("recipient_link"))
    created_at: datetime
    expires_at: datetime


class LinkAttempt(SQLModel, table=True):
    __tablename__ = "link_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    # "request" (a code asked for) or "try" (a code entered).
    kind: str = Field(max_length=10)
    email: str = Field(max_length=320, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    # None while being judged; "failed", "ok" or "throttled".
    outcome: str | None = Field(default=None, max_length=10)


_AWAITED = "received_at IS NULL AND cancelled_at IS NULL"


class InformationRequest(SQLModel, table=True):
    __tablename__ = "information_request"
    __table_args__ = (
        # The manager's "not received by its date", soonest first (migration 0016).
        Index("ix_information_request_awaited", "needed_by", "id",
              postgresql_where=text(_AWAITED), sqlite_where=text(_AWAITED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(sa_column=_cascade("strategy_record"))
    link_id: int = Field(sa_column=Column(Integer, ForeignKey("recipient_link.id",
                                                              ondelete="CASCADE"),
                                          nullable=False, unique=True))
    organisation_id: int = Field(foreign_key="organisation.id")
    agency: str = Field(max_length=40)
    organisation: str = Field(max_length=200)
    needed_by: date
    requested_at: datetime
    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    requested_by: str = Field(max_length=200)
    cancelled_at: datetime | None = None
    # Written once, as received (app/domain/contribution.AgencyContribution), never changed.
    received_at: datetime | None = None
    contribution: dict | None = Field(default=None, sa_column=Column(
        JSON().with_variant(JSONB(), "postgresql"), nullable=True))
    # The version of the draft it went into; None if the record was not a draft then.
    into_version: int | None = None
