"""What the printed record says about life after the discussion, and which stored PDF that is.

A finalised version's PDF is stored per (record, version, variant). The as-finalised PDF is
variant "record" and never changes. Each later state the PDF must show (authorised by whom
and when, superseded by which version, a further discussion cancelled) is a variant of its
own, prefixed by that state's key ("a", "a.s3", "c1" ...): stored once, never overwritten, so
every ETag stays true and the as-finalised bytes stay downloadable. Authorisation is stored
as a new variant rather than replacing the old one for that reason.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import and_, select
from sqlmodel import Session

from app.clock import as_utc
from app.domain.choices import RecordStatus
from app.followup import received as contributions
from app.followup import versions
from app.followup.cancellations import KIND as CANCELLED
from app.followup.cancellations import Cancellation, cancellations
from app.followup.models import FollowUpEntry, RecordVersion
from app.records.models import StrategyRecord


def _nothing_more() -> tuple[str | None, tuple]:
    return None, ()


@dataclass(frozen=True)
class PrintedState:
    authorised_by: str | None = None
    authorised_at: datetime | None = None
    superseded_by: int | None = None
    # When the later version was finalised: printed in the page-1 box, fixed once superseded.
    superseded_at: datetime | None = None
    cancellations: tuple[Cancellation, ...] = ()
    # Who finalised this version, and the agencies' contributions as received
    # (app/links/contributions.py) that went into its draft or an earlier one: both fixed once
    # it is finalised, so no part of the variant key. Read when first asked for (a render):
    # a stored PDF is found by the key alone, so downloading it does not read them.
    details: Callable[[], tuple[str | None, tuple]] = field(
        default=_nothing_more, compare=False, repr=False)

    @cached_property
    def _details(self) -> tuple[str | None, tuple]:
        return self.details()

    @property
    def finalised_by(self) -> str | None:
        return self._details[0]

    @property
    def contributions(self) -> tuple:
        return self._details[1]

    def read(self) -> "PrintedState":
        """This state with its details read (before the session's transaction ends)."""
        self._details  # noqa: B018
        return self

    @property
    def key(self) -> str:
        parts = []
        if self.authorised_at:
            parts.append("a")
        if self.superseded_by:
            # "p": marked on page 1 as well (issue 22). The "s3" PDFs stored before that, with
            # the marking only in the running header and at the end, are no longer served.
            parts.append(f"s{self.superseded_by}p")
        if self.cancellations:
            parts.append(f"c{len(self.cancellations)}")
        return ".".join(parts)

    @property
    def superseded_text(self) -> str | None:
        return f"SUPERSEDED by version {self.superseded_by}" if self.superseded_by else None


def printed_state(session: Session, record: StrategyRecord) -> PrintedState | None:
    """The state a finalised version's PDF shows; for a draft (rendered fresh), only the
    contributions received so far, or None."""
    if record.status == RecordStatus.DRAFT:
        received = contributions.received(session, record.id, record.version)
        return PrintedState(details=lambda: (None, received)) if received else None
    # One statement: the version's later state (not its document) and its cancellations.
    v, e = RecordVersion, FollowUpEntry
    rows = session.execute(
        select(v.authorised_by_name, v.authorised_at, v.superseded_by, v.superseded_at,
               v.finalised_by_id, e)
        .outerjoin(e, and_(e.record_id == v.record_id, e.version <= v.version,
                           e.kind == CANCELLED))
        .where(v.record_id == record.id, v.version == record.version)
        .order_by(e.at, e.id)).all()

    def details() -> tuple[str | None, tuple]:
        by = versions.user_name(session, rows[0].finalised_by_id) if rows else None
        return by, contributions.received(session, record.id, record.version)

    if not rows:  # finalised before versions were kept, and not yet backfilled
        return PrintedState(details=details)
    version = rows[0]
    return PrintedState(
        authorised_by=version.authorised_by_name,
        authorised_at=as_utc(version.authorised_at),
        superseded_by=version.superseded_by,
        superseded_at=as_utc(version.superseded_at),
        cancellations=cancellations(session, record.id, record.version,
                                    every=[row[-1] for row in rows if row[-1] is not None]),
        details=details,
    )
