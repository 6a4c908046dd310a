"""A section's form page: what it shows (the choices it offers, the dates the rules fix, what
is still needed), and the revision, base digest and conflict choices a post carries, so that
no save overwrites someone else's. Shared by saving a section and saving it as people type."""

import json
from dataclasses import replace

from fastapi import HTTPException
from sqlmodel import Session, select

from app.auth.models import AuditEvent, User
from app.auth.roles import Role
from app.config import get_settings
from app.domain.choices import Agency, is_fixed_action
from app.domain.sections import SECTIONS_BY_SLUG, Section, section_of
from app.followup.models import FollowUpEntry
from app.organisations import contacts
from app.organisations import service as directory
from app.parsing import FormValues, whole_number
from app.records import service, staff
from app.records.form_conflicts import differences, one_sided, section_fingerprint, values_fingerprint
from app.records.form_offers import offered_update_date
from app.records.forms import rows, values_from
from app.records.models import StrategyRecord
from app.rules.completeness import Failure, Severity
from app.rules.due_dates import edt_review_due
from app.rules.next_steps import conference_due
from app.rules.workdays import within_working_days
from app.templating import FormView, templates

STALE_MESSAGE = (
    "Someone else saved this record after you opened this page and changed this section, so "
    "your changes have not been saved. For each field that differs, choose whether to keep "
    "your version or the saved one, then save. Nothing is overwritten until you choose."
)


CONFLICT_SUMMARY = ("Someone else changed this section after you opened it: choose which "
                    "version to keep of each field you both changed")


STALE_AGAIN = (
    "Someone else saved this section again while you were choosing, so nothing has been saved. "
    "The versions below are the latest: choose again, then save."
)


def _section_or_404(slug: str) -> Section:
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None:
        raise HTTPException(status_code=404, detail="No such section")
    return section


def _still_needed(record: StrategyRecord, section: Section) -> list[Failure]:
    return [
        failure
        for result in service.completeness(record)
        if result.rule.severity == Severity.BLOCKING
        for failure in result.failures
        if section_of(failure.path) == section.slug
    ]


def _section_page(request, record, section, values: FormValues, *, errors=None, notice=None,
                  status_code=200, fragment=False, revision=None, base=None, carried=(),
                  conflict=None, row_change=None, opened=None):
    data, settings = record.content, get_settings()
    context = {
        "revision": revision or record.revision,
        # The digest of this section at that revision: a save can tell whether it changed since.
        "base": base if revision else section_fingerprint(section, data),
        # The section itself as it was then: a stale save can tell which side changed a field.
        "opened": json.dumps(opened if revision and opened is not None
                             else _stored_values(record, section), ensure_ascii=False),
        # After a stale save: each field that differs, both versions, and the choices so far.
        "conflict": conflict,
        "title": section.title,
        "record": record,
        "section": section,
        "f": FormView(values, errors),
        "errors": errors,
        "notice": notice,
        # What the manager asked for when returning it: on the page being corrected too.
        "returned": None if fragment else _returned(record),
        "url": f"/strategies/{record.id}/sections/{section.slug}",
        "still_needed": [] if errors else _still_needed(record, section),
        "children": {child.key: child for child in record.content.children},
        # Agencies offered from other sections, shown as not yet saved.
        "carried": carried,
        # A row just added or removed: announced, and where focus goes (_partials.html).
        "row_change": row_change,
        # The dates the rules fix, shown beside the fields before anyone types them.
        "review_due": edt_review_due(data.header.discussion_at, settings),
        "conference_due": conference_due(data, settings),
        "update_due": offered_update_date(data),
        # The rows that cannot be removed: the update of all agencies (sections/actions.html).
        "fixed_rows": [index for index, row in enumerate(rows(values, section.field))
                       if is_fixed_action(row.get("kind"))],
        "update_within": within_working_days(settings.update_agencies_working_days),
        **_organisation_choices(record),
        "staff_options": _staff_choices(record) if section.slug in STAFF_SECTIONS else [],
    }
    template = "_rows_fragment.html" if fragment else "section.html"
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


def _returned(record: StrategyRecord) -> FollowUpEntry | None:
    """The entry of the record's return to its author, while it is a draft being corrected."""
    session = Session.object_session(record)
    if session is None or not record.is_draft or record.returned_at is None:
        return None
    return session.exec(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record.id, FollowUpEntry.kind == "returned")
        .order_by(FollowUpEntry.at.desc(), FollowUpEntry.id.desc()).limit(1)).first()


def _organisation_choices(record: StrategyRecord) -> dict:
    """The directory's organisations as the form offers them: the active ones, and any the
    record already names (an organisation deactivated since stays ticked, by its name)."""
    session = Session.object_session(record)
    active = directory.every(session, active_only=True) if session else []
    options = [(str(o.id), o.name if o.name == Agency(o.agency).label
                else f"{o.name} ({Agency(o.agency).label})") for o in active]
    shown = {o.id for o in active}
    options += [(str(r.organisation_id), f"{r.name} (no longer active)")
                for r in record.content.distribution if r.organisation_id not in shown]
    return {"organisation_options": options[:len(active)], "recipient_options": options,
            "contact_options": contacts.options(session) if session else []}


# The sections that choose people from the service's social-care staff (app/records/staff.py).
STAFF_SECTIONS = ("header", "participants")


def _staff_choices(record: StrategyRecord) -> list[tuple[str, str]]:
    """Active social-care users as the form offers them, by name with role and team; and
    anyone the record already names who has since left, so the form still shows them."""
    session = Session.object_session(record)
    active = staff.active_staff(session) if session else []

    def text(user: User) -> str:
        about = ", ".join(part for part in (Role(user.role).label, user.team) if part)
        return f"{user.display_name} ({about})"

    options = [(str(u.id), text(u)) for u in active]
    shown = {u.id for u in active}
    left = staff.by_ids(session, staff.staff_ids(record.content) - shown) if session else {}
    options += [(str(u.id), f"{u.display_name} (no longer active)") for u in left.values()]
    return options


def _staff_named(record: StrategyRecord, section: Section, found: list) -> list:
    """The differences with a chosen member of staff read as their name, not their id."""
    if section.slug not in STAFF_SECTIONS:
        return found
    names = dict(_staff_choices(record))
    return [replace(d, mine=names.get(d.mine, d.mine), theirs=names.get(d.theirs, d.theirs))
            if d.key.endswith("user_id") else d for d in found]


NO_REVISION_MESSAGE = (
    "This page did not say which version of the record it was opened at, so nothing has been "
    "saved: saving could have overwritten someone else's changes. Check what is shown below "
    "against the record in another tab, then save again."
)


def _posted_revision(values: FormValues) -> int | None:
    """The revision the page was opened at; None if it is missing or malformed."""
    return whole_number(values.pop("revision", None))


def _posted_base(values: FormValues) -> str | None:
    """The digest of the section as the page was opened (section_fingerprint)."""
    base = values.pop("base", None)
    return base if isinstance(base, str) and len(base) <= 64 else None


def _posted_opened(values: FormValues, base: str | None) -> FormValues | None:
    """The section as the page was opened, if the page carried it and it is what the page's
    base digest says (else None: every differing field is then asked about)."""
    text = values.pop("opened", None)
    try:
        opened = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(opened, dict) or not all(
            isinstance(k, str) and (isinstance(v, str) or (
                isinstance(v, list) and all(isinstance(item, str) for item in v)))
            for k, v in opened.items()):
        return None
    return opened if base is not None and values_fingerprint(opened) == base else None


def _take_conflict(values: FormValues) -> tuple[int | None, dict[str, str]]:
    """The conflict page's answer: the revision it showed and the version kept of each field
    ("mine" or "theirs", by the field's key), taken out of the posted values."""
    revision = whole_number(values.pop("conflict-revision", None))
    kept = {}
    for key in [key for key in values if key.startswith("keep-")]:
        choice = values.pop(key)
        kept[key.removeprefix("keep-")] = choice if choice in ("mine", "theirs") else ""
    return revision, kept


def _stored_values(record: StrategyRecord, section: Section) -> FormValues:
    return values_from(getattr(record.content, section.field), section.field)


def _rebased(record: StrategyRecord, section: Section, values: FormValues,
             base: str | None) -> bool:
    """Whether a save from an older revision may go ahead as it stands: nobody changed this
    section since the page was opened (the other save was elsewhere), or what it holds now is
    already what was typed. Either way nothing of anyone else's is overwritten."""
    return (base == section_fingerprint(section, record.content)
            or not differences(section, values, _stored_values(record, section)))


def _last_saved_by(session: Session, record: StrategyRecord) -> str | None:
    """Who saved the record last, and when (UK time), from the audit log."""
    query = (select(AuditEvent.at, User.display_name)
             .join(User, User.id == AuditEvent.user_id, isouter=True)
             .where(AuditEvent.record_id == record.id, AuditEvent.action == "edited")
             .order_by(AuditEvent.id.desc()).limit(1))
    last = session.exec(query).first()
    if last is None:
        return None
    at, name = last
    return f"{name or 'someone'}, {templates.env.filters['uk_time'](at)}"


def _conflict_page(request, session, record, section, values, *, revision, base,
                   kept=None, errors=None, notice=STALE_MESSAGE, opened=None):
    """The page after a stale save: what was typed, and for each field both people changed
    since the page was opened, both versions and a choice (a field only one of them changed
    keeps that change, unasked). Only a save carrying a choice for every one of them (or "keep
    all of mine") may overwrite; the page's own revision stays the stale one."""
    theirs = _stored_values(record, section)
    decided = one_sided(section, values, theirs, opened)
    asked = [d for d in differences(section, values, theirs) if d.key not in decided]
    # The page says what is wrong at the top, where focus goes (and "Error:" in its title).
    errors = errors or {"conflict": CONFLICT_SUMMARY}
    conflict = {
        "differences": _staff_named(record, section, asked),
        "revision": record.revision,
        "kept": kept or {},
        "saved_by": _last_saved_by(session, record),
    }
    return _section_page(request, record, section, values, notice=notice, errors=errors,
                         status_code=409, revision=revision, base=base, conflict=conflict,
                         opened=opened)
