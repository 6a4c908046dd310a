"""Who sees what: the one rule, asked by every route, list, report and export.

For a person and a record it answers: may they see it, which versions, which of them is
"the record" to them, and may they change it.

- Social-care staff (social workers, EDT workers, managers) see their own team's records and
  every EDT-led record (the day team must pick those up), every version, and the working
  copy (a draft, or an amendment being drafted). Social workers and EDT workers change them;
  managers too (review and authorising are asked of app/auth/roles.py).
- A partner sees exactly the finalised versions that were sent to their organisation: a
  receipt (app/sending/models.py) that has not been withdrawn. Never a draft, an amendment
  being drafted, or a version sent only to others. "The record" to them is the newest version
  they were sent; one a later version superseded stays readable, marked superseded.
- Someone reading by personal link, without an account (app/links: an organisation's named
  contact or its safeguarding mailbox), is a `LinkReader`: the partner's rule, narrowed to
  one record and to the versions sent to their own address by links still in force (not
  revoked, not expired). A withdrawn receipt ends it as it does for the organisation's users.
- Administrators and the safeguarding partnership see no record.

`record_filter` is the rule as a WHERE clause on strategy_record (lists, reports, exports,
queues, the audit log and the outbox filter by it); `sight` answers for one record by asking
the database the same clause, so the list and the page can never disagree.
"""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlmodel import Session, col

from app.auth.models import AuditEvent, User
from app.auth.roles import RECORDERS, Role, can_record
from app.clock import utc_now
from app.domain.choices import LedBy, RecordStatus
from app.followup.models import RecordVersion
from app.records.models import StrategyRecord
from app.sending.link_models import RecipientLink
from app.sending.models import RecordReceipt


@dataclass(frozen=True)
class LinkReader:
    """Someone reading without an account, in a session a personal link's one-time code
    opened (app/links/service.py). Reads like a partner, never changes anything."""

    link_id: int
    record_id: int
    version: int
    organisation_id: int
    email: str
    name: str
    role: str = "link_reader"


def is_partner(user: User | LinkReader) -> bool:
    return user.role == Role.PARTNER


def reads_receipts(user: User | LinkReader) -> bool:
    """Whether this person reads versions sent to their organisation (not records)."""
    return isinstance(user, LinkReader) or (is_partner(user) and user.organisation_id is not None)


def receipt_filter(user: User | LinkReader) -> ColumnElement[bool]:
    """The receipts whose versions this person reads as a partner: sent to their organisation
    and not withdrawn; for a link reader, only those of their record that reached their own
    address by a link in force. Nothing for anyone else (social care reads records, not
    receipts)."""
    if not reads_receipts(user):
        return false()
    sent = and_(col(RecordReceipt.organisation_id) == user.organisation_id,
                col(RecordReceipt.withdrawn_at).is_(None))
    if not isinstance(user, LinkReader):
        return sent
    in_force = exists(select(col(RecipientLink.id)).where(
        col(RecipientLink.receipt_id) == col(RecordReceipt.id), col(RecipientLink.email) == user.email,
        col(RecipientLink.revoked_at).is_(None), col(RecipientLink.expires_at) > utc_now()))
    return and_(sent, col(RecordReceipt.record_id) == user.record_id, in_force)


def record_filter(user: User | LinkReader) -> ColumnElement[bool]:
    """The records this person may see, as a WHERE clause on strategy_record."""
    if isinstance(user, User) and user.role in RECORDERS:
        edt_led = col(StrategyRecord.led_by) == LedBy.EDT.value
        if user.team is None:
            return edt_led
        return or_(col(StrategyRecord.team) == user.team, edt_led)
    if reads_receipts(user):
        return exists(select(col(RecordReceipt.id)).where(
            col(RecordReceipt.record_id) == col(StrategyRecord.id), receipt_filter(user)))
    return false()


def list_filter(user: User, filtered: bool) -> ColumnElement[bool]:
    """`record_filter` for a list. A list's filters (search, status, outcome, led by, team)
    read the record as it stands now; a partner whose version is no longer the one in force
    (an amendment being drafted, a later version not sent to them) must not find the record
    by what the newer one says, so a filtered partner list holds only records whose version
    in force is theirs. (Unfiltered, every record they were sent is listed.)"""
    visible = record_filter(user)
    if not (filtered and is_partner(user) and user.organisation_id is not None):
        return visible
    theirs_in_force = exists(select(col(RecordReceipt.id)).where(
        col(RecordReceipt.record_id) == col(StrategyRecord.id),
        col(RecordReceipt.version) == col(StrategyRecord.latest_final_version), receipt_filter(user)))
    return and_(visible, col(StrategyRecord.status) != RecordStatus.DRAFT.value, theirs_in_force)


@dataclass(frozen=True)
class Sight:
    """What one person may do with one record they may see."""

    # The finalised versions they may read, oldest first.
    versions: tuple[int, ...]
    # The version that is "the record" to them; None means the record as it stands now
    # (social care: the working copy, whatever its status).
    shown: int | None
    may_change: bool
    # The record as stored, which deciding read (one statement for anyone).
    record: StrategyRecord | None = field(default=None, compare=False, repr=False)
    # Of a partner's versions, those their organisation has already opened, and downloaded:
    # reading them again has no first opening to record (app/sending/service.py).
    opened: frozenset[int] = field(default=frozenset(), compare=False, repr=False)
    downloaded: frozenset[int] = field(default=frozenset(), compare=False, repr=False)

    def may_read(self, version: int) -> bool:
        return version in self.versions


def sight(session: Session, user: User | LinkReader, record_id: int) -> Sight | None:
    """What `user` may see of the record; None if nothing (then it answers as not found).
    One statement, which reads the record too, so the route that asked need not read it
    again."""
    if is_partner(user) or isinstance(user, LinkReader):
        # Their receipts, oldest version first, each with whether it was opened and
        # downloaded, joined to the record.
        receipts = session.execute(
            select(StrategyRecord, col(RecordReceipt.version),
                   col(RecordReceipt.first_opened_at).is_not(None),
                   col(RecordReceipt.first_downloaded_at).is_not(None))
            .join(RecordReceipt, col(RecordReceipt.record_id) == col(StrategyRecord.id))
            .where(col(StrategyRecord.id) == record_id, receipt_filter(user))
            .order_by(col(RecordReceipt.version))).all()
        if not receipts:
            return None
        versions = tuple(version for _, version, _, _ in receipts)  # one receipt a version
        return Sight(versions, versions[-1], may_change=False, record=receipts[0][0],
                     opened=frozenset(v for _, v, opened, _ in receipts if opened),
                     downloaded=frozenset(v for _, v, _, downloaded in receipts if downloaded))
    # The record if visible, with its finalised versions (none: one NULL row).
    rows = session.execute(
        select(StrategyRecord, col(RecordVersion.version))
        .outerjoin(RecordVersion, col(RecordVersion.record_id) == col(StrategyRecord.id))
        .where(col(StrategyRecord.id) == record_id, record_filter(user))
        .order_by(col(RecordVersion.version))).all()
    if not rows:
        return None
    versions = tuple(version for _, version in rows if version is not None)
    return Sight(versions, None, may_change=can_record(user), record=rows[0][0])


def shown_versions(session: Session, user: User, record_ids: list[int]) -> dict[int, int]:
    """For a partner's list: each record's version that is "the record" to them."""
    if not is_partner(user) or not record_ids:
        return {}
    rows = session.execute(select(col(RecordReceipt.record_id), col(RecordReceipt.version)).where(
        col(RecordReceipt.record_id).in_(record_ids), receipt_filter(user)))
    shown: dict[int, int] = {}
    for record_id, version in rows:
        shown[record_id] = max(version, shown.get(record_id, 0))
    return shown


def visible_record_ids(user: User) -> Select[int | None]:
    """The ids of the records this person may see, as a subquery (for tables that refer to
    records: the audit log, the outbox)."""
    return select(col(StrategyRecord.id)).where(record_filter(user))


def audit_filter(user: User) -> ColumnElement[bool] | None:
    """The audit-log entries this person may read. Administrators read every entry (who did
    what; the page never shows them children's names); a manager reads those about records
    they may see, and those about no record made by themselves or their team's staff."""
    if user.role == Role.ADMIN:
        return None
    own_team = select(col(User.id)).where(col(User.team) == user.team) if user.team else None
    about_no_record = col(AuditEvent.record_id).is_(None) & (
        col(AuditEvent.user_id).in_(own_team) if own_team is not None
        else col(AuditEvent.user_id) == user.id)
    return or_(col(AuditEvent.record_id).in_(visible_record_ids(user)), about_no_record)


def shows_children(user: User) -> bool:
    """Whether lists about records beside the records themselves (the audit log, the
    outbox) may name the children: not to an administrator, who sees no record."""
    return user.role != Role.ADMIN
