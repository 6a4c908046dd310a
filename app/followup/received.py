"""Agencies' contributions as received before the discussion (issue 23), as a version prints
them: read here, below the links that receive them, because the printed record needs them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from app.domain.contribution import AgencyContribution
from app.sending.link_models import InformationRequest, RecipientLink


@dataclass(frozen=True)
class Received:
    """A contribution as received, for printing (plain values: the PDF outlives the session)."""

    organisation: str
    sent_by: str  # the link's recipient: a named contact or the mailbox
    email: str
    received_at: datetime
    sent: AgencyContribution


def received(session: Session, record_id: int, version: int) -> tuple[Received, ...]:
    """The contributions a version prints as received: those that went into its draft or an
    earlier one (so a finalised version's list never changes)."""
    rows = session.execute(select(InformationRequest, RecipientLink.name, RecipientLink.email)
                           .join(RecipientLink, RecipientLink.id == InformationRequest.link_id)
                           .where(InformationRequest.record_id == record_id,
                                  InformationRequest.received_at.is_not(None),
                                  InformationRequest.into_version <= version)
                           .order_by(InformationRequest.received_at, InformationRequest.id)).all()
    return tuple(Received(r.organisation, name, email, r.received_at,
                          AgencyContribution.model_validate(r.contribution))
                 for r, name, email in rows)
