"""What the record page shows about life after the discussion: the timeline, the versions,
a returned record's comments. Passed into record.html for its `_after_record.html` include.

The timeline is worded here, in plain English, from each entry's own `version` and details
(and the versions finalised before it), never from what the flow is assumed to have done: a
return that started a correction reads as one whatever version number the flow gave it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app.auth.roles import can_authorise, can_record_follow_up
from app.domain.choices import Agency, ReturnReason
from app.followup import service, versions
from app.followup.cancellations import cancellations
from app.followup.course import OUTCOMES
from app.followup.models import FollowUpEntry
from app.links import contributions
from app.links import service as links
from app.records.display import as_text
from app.sending import service as sending
from app.web import access


def record_page_context(record, user, session: Session | None = None, request=None) -> dict:
    """What the record page shows after the discussion (its `_after_record.html` include).
    `request`: the page's, whose visibility answer is reused (app/web/access.sight_of)."""
    session = session or Session.object_session(record)
    if session is None:
        return {"after": None}
    partner = not can_record_follow_up(user)
    entries = [] if partner else versions.entries(session, record.id)
    returned = [e for e in entries if e.kind == "returned"]
    every = versions.snapshots(session, record.id)
    seen = access.sight_of(session, user, record.id, request)
    # Only the versions this person may read: a partner's, those sent to their organisation.
    snapshots = [s for s, _ in every if seen is not None and seen.may_read(s.version)]
    current, finalised_by = next(((s, name) for s, name in every
                                  if s.version == record.version), (None, None))
    return {"after": {
        "entries": entries,
        "timeline": timeline(entries),
        "returned": returned[-1] if returned and record.is_draft else None,
        "versions": snapshots,
        "status_of": versions.status_of,
        "current": current,
        # Who finalised the version shown (none for a draft).
        "finalised_by": None if record.is_draft else finalised_by,
        "can_follow_up": not partner,
        # The way to the follow-up page: once the record is in force (not while a draft).
        "offers_follow_up": not partner and not record.is_draft,
        # Who was sent which version (social care only); managers may withdraw one sent in error.
        "sent": [] if partner else sending.sent_versions(session, record.id),
        # Each named person's personal link (app/links); managers may revoke one.
        "links": [] if partner else links.for_record(session, record.id),
        # Information asked of agencies before the discussion (app/links/contributions.py).
        "requests": [] if partner else contributions.for_record(session, record.id),
        "can_ask": not partner and record.is_draft,
        "can_withdraw": can_authorise(user),
        "can_authorise": can_authorise(user) and record.awaits_authorisation,
        # Shown to every reader of the version, partners too: the reason is for the agencies.
        "cancellations": () if record.is_draft
        else cancellations(session, record.id, record.version, None if partner else entries),
    }}


# --- the timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    heading: str
    by: str
    at: datetime  # stored UTC: the template shows it as UK time
    lines: tuple[str, ...]  # each its own paragraph


def _day(value) -> str:
    """A date stored in an entry's details (ISO text) as the service writes dates elsewhere."""
    try:
        return as_text(date.fromisoformat(value)) if isinstance(value, str) else as_text(value)
    except ValueError:
        return value


def _reasons(chosen) -> str:
    labels = {r.value: r.label for r in ReturnReason}
    return "; ".join(labels.get(r, str(r)) for r in (chosen or []))


def _agencies(chosen) -> str:
    labels = {a.value: a.label for a in Agency}
    return ", ".join(labels.get(a, str(a)) for a in (chosen or []))


def _sentence(text: str | None) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in ".!?" else f"{text}."


def _item(entry: FollowUpEntry, finalised_before: int | None) -> TimelineItem:
    """One entry in words. `finalised_before` is the version finalised most recently before
    it (the one a return or an amendment acts on), if any."""
    v, d, kind = entry.version, entry.details or {}, entry.kind
    label = service.KINDS.get(kind, kind.replace("_", " ").capitalize())
    heading, lines = f"{label} (version {v})", []
    if kind == "finalised":
        heading = f"Version {v} finalised"
    elif kind == "authorised":
        heading = f"Version {v} authorised"
    elif kind == "returned":
        returned = finalised_before or v
        heading = f"Version {returned} returned to the author"
        if returned != v:
            # A version already sent never changes: its return started the next one.
            lines.append(f"Version {v} started as a correction of version {returned}.")
        if d.get("reasons"):
            lines.append(f"Reasons: {_reasons(d['reasons'])}.")
        lines.append(f"Comments: {d.get('comments', '')}")
    elif kind == "amended":
        amends = d.get("amends") or finalised_before
        heading = (f"Version {v} started, amending version {amends}" if amends
                   else f"Version {v} started as an amendment")
        lines.append(f"Reason: {d.get('reason', '')}")
    elif kind in ("action_done", "action_cancelled"):
        done = f": done on {_day(d['done_on'])}" if d.get("done_on") else ""
        lines.append(f"{_sentence(str(d.get('action', '')) + done)}")
        lines.append(f"{'Reason' if kind == 'action_cancelled' else 'What was done'}: "
                     f"{d.get('note', '')}")
        how = f" ({d['how']})" if d.get("how") else ""
        if d.get("agencies"):  # before organisations were named: agency types
            lines.append(f"Agencies updated: {_agencies(d['agencies'])}{how}.")
        if d.get("updated"):
            lines.append("Organisations updated: "
                         f"{', '.join(o.get('name') or '' for o in d['updated'])}{how}.")
        for org in d.get("not_updated") or []:
            lines.append(f"Not updated: {org.get('name') or ''} ({org.get('reason', '')}).")
    elif kind == "action_redated":
        lines.append(f"{_sentence(str(d.get('action', '')))} Now due {_day(d.get('due_date'))}.")
        lines.append(f"Reason: {d.get('note', '')}")
    elif kind == "referrer_told":
        lines.append(f"{d.get('told_by', '')} told the referrer on {_day(d.get('told_on'))} "
                     f"({d.get('how', '')}).")
        if d.get("family_member") == "yes":
            lines.append(f"A family member: {d.get('shared', '')}")
    elif kind == "edt_review":
        lines.append(f"Reviewed by {d.get('reviewed_by', '')} on {_day(d.get('reviewed_on'))}.")
        lines.append(f"Checked: {d.get('checked', '')}")
        if d.get("corrected"):
            lines.append(f"Corrected: {d['corrected']}")
        lines.append(f"Further discussion needed: {str(d.get('further_needed', '')).title()}.")
    elif kind == "discussion_cancelled":
        set_for = f" set for {_day(d['scheduled_for'])}" if d.get("scheduled_for") else ""
        lines.append(f"The further discussion{set_for} was cancelled.")
        lines.append(f"Reason: {d.get('reason', '')}")
        if d.get("action"):
            lines.append(_sentence(d["action"]))
    elif kind == "s47_course":
        if d.get("completed_on"):
            lines.append(f"Completed on {_day(d['completed_on'])}: "
                         f"{OUTCOMES.get(d.get('outcome'), '')}.")
        if d.get("icpc_on"):
            lines.append(f"Initial conference held on {_day(d['icpc_on'])}.")
        elif d.get("icpc_not_required") == "yes":
            lines.append(f"No initial conference required: {d.get('icpc_not_required_reason')}")
    return TimelineItem(kind, heading, entry.by_name or "Unknown", entry.at, tuple(lines))


def timeline(entries: Iterable[FollowUpEntry]) -> list[TimelineItem]:
    """The entries, oldest first, in plain English."""
    items, finalised = [], None
    for entry in entries:
        items.append(_item(entry, finalised))
        if entry.kind == "finalised":
            finalised = entry.version
    return items
