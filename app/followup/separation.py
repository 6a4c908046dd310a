"""Separation of duties: whether a manager took part in the version they are asked to
authorise (then another manager must). Who is compared by user id, not by name:

- the chair and the minute-taker chosen from the service's staff (header ids);
- any participant chosen from the service's staff;
- whoever started the record, or started this version (an amendment);
- whoever saved this version (the audit log's "edited" events since the version before it
  was finalised, looked up by the record's index), or finalised it (each "finalised" entry
  of this version: a version returned and finalised again has had two finalisers).

Records from before staff were chosen by id, and anyone typed rather than chosen, fall back to
names: where no id was recorded for the chair, the minute-taker or a social-care participant,
the manager's name counts if every word of it is in the text, in any order and whatever the
spacing or punctuation ("Shah, Priya (TM)"). Where an id was recorded only the id counts: a
namesake is not refused. SETTINGS.authoriser_may_have_taken_part switches the check off
(app/followup/service.authorise).
"""

import re

from sqlmodel import Session, col, select

from app.auth.models import AuditEvent, User
from app.domain.choices import Agency
from app.followup.models import FollowUpEntry, RecordVersion
from app.records.models import StrategyRecord

_WORD = re.compile(r"\w+")


def _words(text: str | None) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text or "")}


def _named(user: User, text: str | None) -> bool:
    """Whether typed text names `user`: every word of their name is in it."""
    name = _words(user.display_name)
    return bool(name) and name <= _words(text)


def _chosen_or_named(user: User, user_id: int | None, text: str | None) -> bool:
    return user_id == user.id if user_id is not None else _named(user, text)


def took_part(session: Session, user: User, record: StrategyRecord) -> str | None:
    """How `user` took part in the record's current version, if they did (the words that
    follow "You" in the refusal)."""
    data = record.content
    header = data.header
    if _chosen_or_named(user, header.chair_user_id, header.chair):
        return "chaired the discussion"
    if _chosen_or_named(user, header.minute_taker_user_id, header.minute_taker):
        return "took the minutes"
    for row in data.participants:
        # A typed participant from a partner agency is someone else who shares the name.
        typed_social_care = row.user_id is None and row.agency in (None, Agency.CSC)
        if row.user_id == user.id or (typed_social_care and _named(user, row.name)):
            return "took part in the discussion"
    if record.created_by_id == user.id:
        return "started the record"
    kinds = set(session.exec(select(FollowUpEntry.kind).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.version == record.version,
        FollowUpEntry.by_id == user.id,
        col(FollowUpEntry.kind).in_(("amended", "finalised")))))
    if "amended" in kinds:
        return "started this amendment"
    finaliser = session.exec(select(RecordVersion.finalised_by_id).where(
        RecordVersion.record_id == record.id, RecordVersion.version == record.version)).first()
    if "finalised" in kinds or finaliser == user.id:
        return "finalised the record"
    if _edited(session, user, record):
        return "edited the record"
    return None


def _edited(session: Session, user: User, record: StrategyRecord) -> bool:
    """Whether `user` saved the current version: an "edited" event since the version before
    it was finalised (every save of a draft is logged so, by the pages and the API)."""
    query = select(AuditEvent.id).where(
        AuditEvent.record_id == record.id, AuditEvent.action == "edited",
        AuditEvent.user_id == user.id)
    if record.version > 1:
        before = session.exec(select(RecordVersion.finalised_at).where(
            RecordVersion.record_id == record.id,
            RecordVersion.version == record.version - 1)).first()
        if before is not None:
            query = query.where(AuditEvent.at > before)
    return session.exec(query.limit(1)).first() is not None
