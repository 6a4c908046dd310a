"""Making a personal link as a version is sent (called by app/sending/service.send_version,
in its transaction). Its secret is made later, by the worker sending its email."""

from datetime import datetime, timedelta

from sqlmodel import Session

from app.config import get_settings
from app.sending.link_models import RecipientLink


def new_link(session: Session, receipt, notification, name: str, contact_id: int | None,
             at: datetime) -> RecipientLink:
    link = RecipientLink(
        receipt_id=receipt.id, record_id=receipt.record_id, version=receipt.version,
        organisation_id=receipt.organisation_id, contact_id=contact_id, name=name,
        email=notification.email, notification_id=notification.id, sent_at=at,
        expires_at=at + timedelta(days=get_settings().link_expiry_days))
    session.add(link)
    return link
