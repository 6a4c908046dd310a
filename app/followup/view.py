"""What the record page shows about life after the discussion: the timeline, the versions,
a returned record's comments. Passed into record.html for its `_after_record.html` include."""

from sqlmodel import Session

from app import visibility
from app.auth.roles import can_authorise, can_record_follow_up
from app.followup import service, versions
from app.followup.cancellations import cancellations
from app.sending import service as sending


def record_page_context(record, user, session: Session | None = None) -> dict:
    """What the record page shows after the discussion (its `_after_record.html` include)."""
    session = session or Session.object_session(record)
    if session is None:
        return {"after": None}
    partner = not can_record_follow_up(user)
    entries = [] if partner else versions.entries(session, record.id)
    returned = [e for e in entries if e.kind == "returned"]
    snapshots = versions.snapshots(session, record.id)
    seen = visibility.sight(session, user, record.id)
    # Only the versions this person may read: a partner's, those sent to their organisation.
    snapshots = [s for s in snapshots if seen is not None and seen.may_read(s.version)]
    current = versions.snapshot(session, record.id, record.version)
    return {"after": {
        "entries": entries,
        "kinds": service.KINDS,
        "returned": returned[-1] if returned and record.status == "draft" else None,
        "versions": snapshots,
        "status_of": versions.status_of,
        "current": current,
        "can_follow_up": not partner,
        # Who was sent which version (social care only); managers may withdraw one sent in error.
        "sent": [] if partner else sending.sent_versions(session, record.id),
        "can_withdraw": can_authorise(user),
        "can_authorise": can_authorise(user) and record.status == "finalised",
        # Shown to every reader of the version, partners too: the reason is for the agencies.
        "cancellations": () if record.status == "draft"
        else cancellations(session, record.id, record.version),
    }}
