"""HTML pages for recording a strategy discussion. Every form works as a plain POST.

htmx only makes add/remove row faster: the same POST, answered with the rows block.
"""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from app.auth import audit
from app.auth.deps import PageUser, SignInRequired, page_user
from app.auth.models import AuditEvent, User
from app.auth.pages import landing_page
from app.auth.roles import Role, can_list_records, can_read_audit, can_record, can_see_damaged
from app.auth.service import take_held_form
from app.clock import uk_local, uk_now, uk_today
from app.config import get_settings
from app.csv_export import csv_response
from app.deps import PostedForm, SessionDep
from app.domain.choices import Agency, Choice, LedBy, Outcome, RecordStatus
from app.domain.schema import StrategyRecordData
from app.domain.sections import SECTIONS_BY_SLUG, Section, next_section, section_of
from app.followup import versions
from app.followup import view as followup_view
from app.organisations import service as directory
from app.organisations.service import UnknownRecipient
from app.parsing import FormValues, form_values, whole_number
from app.pdf.service import render_after_finalise
from app.records import access, service, staff
from app.records.forms import (
    carried_over,
    differences,
    field_label,
    offered_update_date,
    parse_section,
    resolved,
    rows,
    section_fingerprint,
    values_from,
    with_offered_dates,
    with_rows,
)
from app.records.listing import ListedRecord, ListQuery
from app.records.models import DamagedRecord, StrategyRecord
from app.rules.completeness import Failure, Severity
from app.rules.due_dates import edt_review_due
from app.rules.next_steps import conference_due
from app.rules.status import section_states
from app.rules.workdays import within_working_days
from app.sending import service as sending
from app.templating import FormView, error_href, templates

router = APIRouter(include_in_schema=False)

STALE_MESSAGE = (
    "Someone else saved this record after you opened this page and changed this section, so "
    "your changes have not been saved. For each field that differs, choose whether to keep "
    "your version or the saved one, then save. Nothing is overwritten until you choose."
)
STALE_AGAIN = (
    "Someone else saved this section again while you were choosing, so nothing has been saved. "
    "The versions below are the latest: choose again, then save."
)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/")
def home(user: PageUser) -> RedirectResponse:
    # Each role's own first page: the safeguarding partnership sees the reports, not records.
    return _see_other(landing_page(user))


def _require_list(session, user, request: Request) -> None:
    if not can_list_records(user):
        audit.log(session, "refused", user=user, detail=f"GET {request.url.path}",
                  request=request)
        raise HTTPException(403, "The safeguarding partnership sees the reports' figures, "
                                 "not strategy records")


@router.get("/strategies", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, user: PageUser):
    _require_list(session, user, request)
    # Repeated parameters: the last one wins, as in the JSON list.
    typed = dict(request.query_params.items())
    context = {
        "title": "Strategy records",
        "can_record": can_record(user),
        "can_see_damaged": can_see_damaged(user),
        "typed": typed,
        "statuses": list(RecordStatus),
        "led_by_choices": list(LedBy),
        "outcomes": list(Outcome),
    }
    try:
        query = ListQuery.model_validate(typed)
    except ValidationError as error:
        errors = {str(e["loc"][0]): _list_error(str(e["loc"][0])) for e in error.errors()}
        # A bad position has no field of its own: its message points at the filters.
        links = {key: "#filters" for key in errors if key in ("after", "before")}
        context |= {"errors": errors, "error_links": links, "page": None, "query": ListQuery()}
        return templates.TemplateResponse(request, "list.html", context, status_code=422)
    page = access.visible_records(session, user, query)
    # A partner's records their agency has not opened yet are tagged New.
    context |= {"page": page, "query": query, "errors": None,
                "new_ids": sending.new_to(session, user, [r.id for r in page.items])}
    return templates.TemplateResponse(request, "list.html", context)


CSV_HEADER = (
    "Reference", "Status", "Version", "Team", "Led by", "Discussion (UK time)", "Outcome",
    "Children", "Finalised at", "Owner", "Next due", "Overdue", "Blocking problems",
    "Warnings",
)


def _label(value: Choice | str | None) -> str | None:
    return value.label if isinstance(value, Choice) else value


def _csv_row(record: ListedRecord, today) -> tuple:
    # Stored in UTC; written as UK time with its offset, to the second.
    finalised = record.finalised_at and uk_local(record.finalised_at).replace(microsecond=0)
    return (
        record.reference, _label(record.status_choice), record.version, record.team,
        _label(record.led_by_choice), record.discussion_at, _label(record.outcome_choice),
        "; ".join(record.children_names), finalised, record.owner, record.next_due,
        record.overdue_since(today) is not None, record.blocking_failures, record.warnings,
    )


@router.get("/strategies.csv")
def list_csv(request: Request, session: SessionDep, user: PageUser):
    """The list with its current filters, every page of it, as CSV: streamed in keyset
    batches (app/records/access.all_visible), and written to the audit log."""
    _require_list(session, user, request)
    try:
        query = ListQuery.model_validate(dict(request.query_params.items()))
    except ValidationError:
        return list_page(request, session, user)  # the list, saying what to correct (422)
    query = query.model_copy(update={"after": None, "before": None})
    rows = access.count_visible(session, user, query)
    filters = query.link()
    audit.log(session, "exported", user=user, request=request,
              detail=f"record list CSV {'with ' + filters[1:] if filters != '?' else 'unfiltered'}"
                     f": {rows} {'row' if rows == 1 else 'rows'}")
    today = uk_today()
    return csv_response(f"strategy-records-{today.isoformat()}", CSV_HEADER,
                        (_csv_row(record, today) for record in access.all_visible(user, query)))


LIST_ERRORS = {
    "q": "Search for at most 100 characters",
    "team": "Enter a team name of at most 80 characters",
    "after": "Use the Next and Previous links to move through the list",
    "before": "Use the Next and Previous links to move through the list",
}


def _list_error(field: str) -> str:
    return LIST_ERRORS.get(field, f"Choose a {field.replace('_', ' ')} from the list")


@router.get("/damaged-records", response_class=HTMLResponse)
def damaged_records_page(request: Request, session: SessionDep, user: PageUser):
    if not can_see_damaged(user):
        audit.log(session, "refused", user=user, detail="GET /damaged-records", request=request)
        raise HTTPException(403, "Only managers and administrators can see damaged records")
    audit.log(session, "viewed", user=user, detail="damaged records", request=request)
    context = {"title": "Damaged records", "records": service.damaged_records(session)}
    return templates.TemplateResponse(request, "damaged_records.html", context)


@router.post("/strategies")
def create(request: Request, session: SessionDep, user: PageUser) -> RedirectResponse:
    access.require_recorder(session, user, request)
    record = service.create_record(session, team=user.team, created_by_id=user.id)
    audit.log(session, "created", user=user, record_id=record.id, request=request)
    return _see_other(f"/strategies/{record.id}")


def _record_page(request, record, user, *, errors=None, error_links=None, status_code=200,
                 notice=None, session=None, just_finalised=False):
    data = record.content
    session = session or Session.object_session(record)
    results = service.completeness(record)
    context = {
        "title": f"Strategy record {record.reference}",
        "record": record,
        "data": data,
        "states": section_states(data, results),
        "results": results,
        "failing": [r for r in results if not r.passed],
        "errors": errors,
        "error_links": error_links or {},
        "notice": notice,
        "can_edit": record.is_editable and session is not None
        and access.may_change(session, user, record),
        "can_read_audit": can_read_audit(user),
        "finalised_by": versions.finalised_by_name(session, record) if session else None,
        # The confirmation panel, shown once, on the page finalising leads to.
        "just_finalised": just_finalised and record.status == RecordStatus.FINALISED,
        **followup_view.record_page_context(record, user, session),
    }
    return templates.TemplateResponse(request, "record.html", context, status_code=status_code)


@router.get("/strategies/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: int, session: SessionDep, user: PageUser,
                finalised: str | None = None):
    # Partners read the newest version sent to their organisation (app/visibility.py).
    shown = access.readable(session, user, record_id, request)
    record = shown
    audit.log(session, "viewed", user=user, record_id=record.id,
              detail=f"version {shown.version}", request=request)
    sending.mark_opened(session, user, record.id, shown.version, request)  # a partner's first
    try:
        return _record_page(request, shown, user, session=session,
                            just_finalised=finalised == "yes")
    except DamagedRecord as damage:
        # The page itself worked: it says what is wrong with the record, not a server error.
        context = {"title": f"Strategy record {record.reference} is damaged",
                   "record": record, "reason": damage.reason}
        return templates.TemplateResponse(request, "damaged_record.html", context)


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
                  conflict=None, row_change=None):
    data, settings = record.content, get_settings()
    context = {
        "revision": revision or record.revision,
        # The digest of this section at that revision: a save can tell whether it changed since.
        "base": base if revision else section_fingerprint(section, data),
        # After a stale save: each field that differs, both versions, and the choices so far.
        "conflict": conflict,
        "title": section.title,
        "record": record,
        "section": section,
        "f": FormView(values, errors),
        "errors": errors,
        "notice": notice,
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
        "update_within": within_working_days(settings.update_agencies_working_days),
        **_organisation_choices(record),
        "staff_options": _staff_choices(record) if section.slug in STAFF_SECTIONS else [],
    }
    template = "_rows_fragment.html" if fragment else "section.html"
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


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
    return {"organisation_options": options[:len(active)], "recipient_options": options}


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


async def posted_values(form: PostedForm) -> FormValues:
    """The posted form as flat values (read in the event loop by PostedForm, so the routes
    taking it are plain `def`s whose database work runs in the threadpool)."""
    return form_values(list(form.multi_items()))


PostedValues = Annotated[FormValues, Depends(posted_values)]


def _posted_revision(values: FormValues) -> int | None:
    """The revision the page was opened at; None if it is missing or malformed."""
    return whole_number(values.pop("revision", None))


def _posted_base(values: FormValues) -> str | None:
    """The digest of the section as the page was opened (section_fingerprint)."""
    base = values.pop("base", None)
    return base if isinstance(base, str) and len(base) <= 64 else None


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
                   kept=None, errors=None, notice=STALE_MESSAGE):
    """The page after a stale save: what was typed, and for each field that differs from what
    is stored now, both versions and a choice. Only a save carrying a choice for every one of
    them (or "keep all of mine") may overwrite; the page's own revision stays the stale one."""
    theirs = _stored_values(record, section)
    conflict = {
        "differences": _staff_named(record, section, differences(section, values, theirs)),
        "revision": record.revision,
        "kept": kept or {},
        "saved_by": _last_saved_by(session, record),
    }
    return _section_page(request, record, section, values, notice=notice, errors=errors,
                         status_code=409, revision=revision, base=base, conflict=conflict)


HELD_NOTICE = (
    "You were signed out before this page was saved. What you typed is shown below: check it, "
    "then save."
)


@router.get("/strategies/{record_id}/sections/{slug}", response_class=HTMLResponse)
def section_page(request: Request, record_id: int, slug: str, session: SessionDep,
                 user: PageUser, held: str | None = None):
    record = access.for_change(session, user, record_id, request)
    section = _section_or_404(slug)
    if not record.is_editable:
        return _see_other(f"/strategies/{record.id}")
    typed = take_held_form(session, user, held, request.url.path)
    if typed is not None:
        typed.pop("row-action", None)
        _take_conflict(typed)  # a choice made before signing in is made again, on this page
        # The revision they loaded comes back too: if someone saved since, saving is refused.
        revision = whole_number(typed.pop("revision", None))
        base = _posted_base(typed)
        return _section_page(request, record, section, typed, notice=HELD_NOTICE,
                             revision=revision or record.revision,
                             base=base if revision else None)
    audit.log(session, "viewed", user=user, record_id=record.id, detail=section.slug,
              request=request)
    values = values_from(getattr(record.content, section.field), section.field)
    values = with_offered_dates(section.slug, record.content, values)
    offered = carried_over(section.slug, record.content,
                           directory.every(session, active_only=True))
    if offered is not None:
        values, carried = offered
        return _section_page(request, record, section, values, carried=carried)
    return _section_page(request, record, section, values)


def _blank_row(section: Section) -> FormValues:
    item_model = StrategyRecordData.model_fields[section.field].annotation.__args__[0]
    blank = values_from(item_model(), "x")
    first = next(name for name in item_model.model_fields if name not in ("key", "kind"))
    return {"key" if k == "x-key" else k.removeprefix("x-"): v for k, v in blank.items()} | {
        first: ""
    }


def _change_rows(section: Section, values: FormValues,
                 action: str) -> tuple[FormValues, dict | None]:
    """The values with a row added or removed, and what changed ({"kind": "added" or
    "removed", "index": the row's place}) for the page to announce; None if nothing did."""
    current, change = rows(values, section.field), None
    if action == "add":
        current.append(_blank_row(section))
        change = {"kind": "added", "index": len(current) - 1}
    elif action.startswith("remove-") and whole_number(action[7:]) is not None:
        index = whole_number(action[7:])
        # The update-all-agencies action cannot be removed, whatever is posted.
        if index < len(current) and current[index].get("kind") != "update_agencies":
            del current[index]
            change = {"kind": "removed", "index": index}
    return with_rows(values, section.field, current), change


@router.post("/strategies/{record_id}/sections/{slug}", response_class=HTMLResponse)
def save_section(values: PostedValues, request: Request, record_id: int, slug: str,
                 session: SessionDep, user: PageUser):
    record = access.for_change(session, user, record_id, request)
    section = _section_or_404(slug)
    values = dict(values)
    action = str(values.pop("row-action", "save"))
    revision = _posted_revision(values)
    base = _posted_base(values)
    conflict_revision, kept = _take_conflict(values)
    if not record.is_editable:
        return _see_other(f"/strategies/{record.id}")
    if revision is None:
        # Without it no stale save could be refused: show it all again, save nothing.
        return _section_page(request, record, section, values, notice=NO_REVISION_MESSAGE,
                             status_code=428)

    if action not in SAVE_ACTIONS + CONFLICT_ACTIONS and section.rows_editable:
        changed, change = _change_rows(section, values, action)
        return _section_page(request, record, section, changed, fragment=_is_htmx(request),
                             revision=revision, base=base, row_change=change)

    if action == "keep-mine" and conflict_revision is None:
        action = "save"  # no conflict was shown: an ordinary save
    if action == "keep-theirs":
        # Nothing typed on this page is kept: show the section as it is stored now.
        return _see_other(f"/strategies/{record.id}/sections/{section.slug}")
    if conflict_revision is not None or action == "keep-mine":
        # An answer to the conflict page. It may save over the other person's changes only
        # with a choice for every field that differs, made against what is stored now.
        if conflict_revision != record.revision:
            return _conflict_page(request, session, record, section, values, revision=revision,
                                  base=base, notice=STALE_AGAIN)
        theirs = _stored_values(record, section)
        found = differences(section, values, theirs)
        # Only the fields shown as differing are chosen; anything else posted is ignored.
        kept = {d.key: "mine" if action == "keep-mine" else kept.get(d.key, "") for d in found}
        missing = {f"keep-{d.key}": f"Choose which version of {d.title} to keep"
                   for d in found if not kept.get(d.key)}
        if missing:
            return _conflict_page(request, session, record, section, values, revision=revision,
                                  base=base, kept=kept, errors=missing)
        values = resolved(section, values, theirs, kept)
        revision, base = record.revision, section_fingerprint(section, record.content)
    elif revision != record.revision and _rebased(record, section, values, base):
        revision, base = record.revision, section_fingerprint(section, record.content)

    data, errors = parse_section(section, values, record.content)
    if errors:
        return _section_page(request, record, section, values, errors=errors, status_code=422,
                             revision=revision, base=base)
    try:
        service.save_record(session, record=record, data=data, expected_revision=revision)
    except service.StaleRecord:
        session.refresh(record)
        return _conflict_page(request, session, record, section, values, revision=revision,
                              base=base)
    except UnknownRecipient as refused:  # an organisation deactivated meanwhile, or forged
        return _section_page(request, record, section, values, status_code=422,
                             errors={"distribution": str(refused)}, revision=revision, base=base)
    except staff.UnknownStaff as refused:  # someone who left meanwhile, or a forged id
        return _section_page(request, record, section, values, status_code=422,
                             errors=refused.form_errors(), revision=revision, base=base)
    audit.log(session, "edited", user=user, record_id=record.id, detail=section.slug,
              request=request)
    return _see_other(_after_save(record, section, action))


def _user_or_none(request: Request, session: SessionDep) -> User | None:
    """The signed-in person, or None: a background save answers "signed out" in the page's
    status line rather than with the sign-in page."""
    try:
        return page_user(request, session)
    except SignInRequired:
        return None


AUTOSAVE_CONFLICT = (
    "Not saved: someone else saved this section after you opened this page. Nothing of "
    "theirs or yours has been overwritten."
)
AUTOSAVE_SIGNED_OUT = (
    "Not saved: you have been signed out. Save the page to sign in again: what you have "
    "typed will be kept."
)
AUTOSAVE_NO_REVISION = "Not saved automatically: reload the page to carry on saving as you type."
AUTOSAVE_CHOOSING = (
    "Not saved automatically: choose which version of each field to keep above, then save."
)
AUTOSAVE_NOT_DRAFT = "Not saved: this record is no longer a draft."


def _autosave_answer(request, state: str, message: str, **context):
    """The status line's new content (aria-live), and after a save the form's revision and
    section digest, swapped out of band so the next save starts from them."""
    context = {"state": state, "message": message, **context}
    response = templates.TemplateResponse(request, "_autosave.html", context)
    response.headers["Vary"] = "HX-Request"
    return response


@router.post("/strategies/{record_id}/sections/{slug}/autosave", response_class=HTMLResponse)
def autosave_section(values: PostedValues, request: Request, record_id: int, slug: str,
                     session: SessionDep, user: Annotated[User | None, Depends(_user_or_none)]):
    """A draft saved in the background as someone types (htmx, a couple of seconds after they
    stop). It saves only what a Save would, never over someone else's save, and always answers
    200 with a status line (htmx swaps nothing else)."""
    if user is None:
        return _autosave_answer(request, "signed-out", AUTOSAVE_SIGNED_OUT)
    record = access.for_change(session, user, record_id, request)
    section = _section_or_404(slug)
    values = dict(values)
    values.pop("row-action", None)
    revision = _posted_revision(values)
    base = _posted_base(values)
    conflict_revision, kept = _take_conflict(values)
    if not record.is_editable:
        return _autosave_answer(request, "not-saved", AUTOSAVE_NOT_DRAFT)
    if revision is None:
        return _autosave_answer(request, "not-saved", AUTOSAVE_NO_REVISION)
    if conflict_revision is not None or kept:
        # The conflict page is answered only by pressing a button on it.
        return _autosave_answer(request, "not-saved", AUTOSAVE_CHOOSING)
    if revision != record.revision:
        if not _rebased(record, section, values, base):
            return _autosave_answer(request, "conflict", AUTOSAVE_CONFLICT)
        revision = record.revision
    data, errors = parse_section(section, values, record.content)
    if errors:
        key = next(iter(errors))
        return _autosave_answer(request, "invalid", f"Not saved: {field_label(section, key, values)} "
                                "needs attention", field=key)
    if data.model_dump() == record.content.model_dump():
        return _autosave_answer(request, "unchanged", "No changes to save",
                                revision=record.revision,
                                base=section_fingerprint(section, record.content))
    try:
        service.save_record(session, record=record, data=data, expected_revision=revision)
    except service.StaleRecord:
        return _autosave_answer(request, "conflict", AUTOSAVE_CONFLICT)
    except UnknownRecipient:
        return _autosave_answer(request, "invalid", "Not saved: Organisations that receive the "
                                "record needs attention", field="distribution")
    except staff.UnknownStaff as refused:
        key = next(iter(refused.form_errors()))
        return _autosave_answer(request, "invalid", f"Not saved: {field_label(section, key, values)} "
                                "needs attention", field=key)
    audit.log(session, "edited", user=user, record_id=record.id,
              detail=f"{section.slug} (saved as they typed)", request=request)
    return _autosave_answer(request, "saved", f"Saved at {uk_now():%H:%M}",
                            revision=record.revision,
                            base=section_fingerprint(section, record.content),
                            carried=section.slug in ("agency-positions", "distribution"))


# The conflict page's buttons: keep all of what I typed, or all of what is stored.
CONFLICT_ACTIONS = ("keep-mine", "keep-theirs")


# The two save buttons: back to the task list, or on to the next section.
SAVE_ACTIONS = ("save", "save-continue")


def _after_save(record: StrategyRecord, section: Section, action: str) -> str:
    following = next_section(section.slug) if action == "save-continue" else None
    if following is not None:
        return f"/strategies/{record.id}/sections/{following.slug}"
    # The last section's "continue" goes to the record: the task list and Finalise.
    return f"/strategies/{record.id}#{section.slug}"


CONFIRM_MESSAGE = "Confirm that you have checked the record before finalising it"

FINALISE_NO_REVISION = (
    "This page did not say which version of the record it was opened at, so the record has "
    "not been finalised. Check the record below, then finalise again."
)


@router.post("/strategies/{record_id}/finalise", response_class=HTMLResponse)
def finalise(values: PostedValues, request: Request, record_id: int, session: SessionDep,
             user: PageUser) -> Response:
    record = access.for_change(session, user, record_id, request)
    expected = _posted_revision(dict(values))
    if not record.is_editable:
        return _see_other(f"/strategies/{record.id}")
    if expected is None:
        return _record_page(request, record, user, status_code=428, notice=FINALISE_NO_REVISION)
    try:
        if values.get("confirmed") != "yes":
            # Refused first for what finalising would refuse anyway, so the page lists that.
            service.check_finalisable(record, expected)
            return _record_page(request, record, user, errors={"confirmed": CONFIRM_MESSAGE},
                                error_links={"confirmed": "#confirmed"}, status_code=422)
        service.finalise_record(session, record=record, expected_revision=expected,
                                finalised_by=user)
    except service.NotEditable:
        return _see_other(f"/strategies/{record.id}")
    except service.StaleRecord:
        session.refresh(record)
        return _record_page(request, record, user, status_code=409, notice=(
            "Someone else changed this record after you opened it. Check it below, then "
            "finalise again."))
    except service.Incomplete as incomplete:
        errors, links = {}, {}
        for result in incomplete.failing:
            for n, failure in enumerate(result.failures):
                key = f"{result.rule.id}-{n}"
                errors[key] = failure.message
                links[key] = error_href(record.id, failure.path)
        return _record_page(request, record, user, errors=errors, error_links=links,
                            status_code=422)
    audit.log(session, "finalised", user=user, record_id=record.id, request=request)
    render_after_finalise(record)
    return _see_other(f"/strategies/{record.id}?finalised=yes")
