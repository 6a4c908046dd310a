"""A section of a draft record: opening it, adding and removing rows, and saving it. A save
from a page opened before someone else's save is refused unless nothing of theirs would be
overwritten; otherwise the conflict page asks which version of each field to keep.

htmx only makes add/remove row faster: the same POST, answered with the rows block."""


from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.service import take_held_form
from app.deps import PostedValues, SessionDep
from app.domain.choices import is_fixed_action
from app.domain.schema import StrategyRecordData
from app.domain.sections import Section, next_section
from app.followup import lifecycle
from app.organisations import service as directory
from app.organisations.service import UnknownRecipient
from app.parsing import FormValues, whole_number
from app.records import service, staff
from app.records.form_conflicts import differences, one_sided, resolved, section_fingerprint
from app.records.form_offers import carried_over, with_offered_dates
from app.records.forms import parse_section, rows, values_from, with_rows
from app.records.models import StrategyRecord
from app.web import access
from app.web.responses import is_htmx, see_other
from app.web.section_form import (
    NO_REVISION_MESSAGE,
    STALE_AGAIN,
    _conflict_page,
    _posted_base,
    _posted_opened,
    _posted_revision,
    _rebased,
    _section_or_404,
    _section_page,
    _stored_values,
    _take_conflict,
)

router = APIRouter(include_in_schema=False)


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
        return see_other(f"/strategies/{record.id}")
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
    "removed", "added": whether it was, "index": the row's place}) for the page to announce;
    None if nothing did."""
    current, change = rows(values, section.field), None
    if action == "add":
        current.append(_blank_row(section))
        change = {"kind": "added", "added": True, "index": len(current) - 1}
    elif action.startswith("remove-") and whole_number(action[7:]) is not None:
        index = whole_number(action[7:])
        # The update-all-agencies action cannot be removed, whatever is posted.
        if index < len(current) and not is_fixed_action(current[index].get("kind")):
            del current[index]
            change = {"kind": "removed", "added": False, "index": index}
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
    opened = _posted_opened(values, base)
    conflict_revision, kept = _take_conflict(values)
    if not record.is_editable:
        return see_other(f"/strategies/{record.id}")
    if revision is None:
        # Without it no stale save could be refused: show it all again, save nothing.
        return _section_page(request, record, section, values, notice=NO_REVISION_MESSAGE,
                             status_code=428)

    if action not in SAVE_ACTIONS + CONFLICT_ACTIONS and section.rows_editable:
        changed, change = _change_rows(section, values, action)
        return _section_page(request, record, section, changed, fragment=is_htmx(request),
                             revision=revision, base=base, row_change=change, opened=opened)

    if action == "keep-mine" and conflict_revision is None:
        action = "save"  # no conflict was shown: an ordinary save
    if action == "keep-theirs":
        # Nothing typed on this page is kept: show the section as it is stored now.
        return see_other(f"/strategies/{record.id}/sections/{section.slug}")
    if conflict_revision is not None or action == "keep-mine":
        # An answer to the conflict page. It may save over the other person's changes only
        # with a choice for every field that differs, made against what is stored now.
        if conflict_revision != record.revision:
            return _conflict_page(request, session, record, section, values, revision=revision,
                                  base=base, notice=STALE_AGAIN, opened=opened)
        theirs = _stored_values(record, section)
        decided = one_sided(section, values, theirs, opened)
        found = [d for d in differences(section, values, theirs) if d.key not in decided]
        # Only the fields shown as differing are chosen; anything else posted is ignored.
        kept = {d.key: "mine" if action == "keep-mine" else kept.get(d.key, "") for d in found}
        missing = {f"keep-{d.key}": f"Choose which version of {d.title} to keep"
                   for d in found if not kept.get(d.key)}
        if missing:
            return _conflict_page(request, session, record, section, values, revision=revision,
                                  base=base, kept=kept, errors=missing, opened=opened)
        values = resolved(section, values, theirs, kept | decided)
        revision, base = record.revision, section_fingerprint(section, record.content)
    elif revision != record.revision and _rebased(record, section, values, base):
        revision, base = record.revision, section_fingerprint(section, record.content)

    data, errors = parse_section(section, values, record.content)
    if errors:
        return _section_page(request, record, section, values, errors=errors, status_code=422,
                             revision=revision, base=base, opened=opened)
    try:
        lifecycle.save_record(session, record=record, data=data, expected_revision=revision)
    except service.StaleRecord:
        session.refresh(record)
        theirs = _stored_values(record, section)
        decided = one_sided(section, values, theirs, opened)
        if decided and len(decided) == len(differences(section, values, theirs)):
            # Each field was changed by one of them only: keep both people's changes.
            return _save_merged(request, session, user, record, section, action,
                                resolved(section, values, theirs, decided))
        return _conflict_page(request, session, record, section, values, revision=revision,
                              base=base, opened=opened)
    except UnknownRecipient as refused:  # an organisation deactivated meanwhile, or forged
        return _section_page(request, record, section, values, status_code=422,
                             errors={"distribution": str(refused)}, revision=revision, base=base,
                             opened=opened)
    except staff.UnknownStaff as refused:  # someone who left meanwhile, or a forged id
        return _section_page(request, record, section, values, status_code=422,
                             errors=refused.form_errors(), revision=revision, base=base,
                             opened=opened)
    audit.log(session, "edited", user=user, record_id=record.id, detail=section.slug,
              request=request)
    return see_other(_after_save(record, section, action))


def _save_merged(request, session, user, record, section, action, values):
    """A stale save whose every differing field only one person changed: saved with both
    people's changes, at the revision just read (a further change meanwhile asks again)."""
    revision, base = record.revision, section_fingerprint(section, record.content)
    data, errors = parse_section(section, values, record.content)
    if errors:
        return _section_page(request, record, section, values, errors=errors, status_code=422,
                             revision=revision, base=base)
    try:
        lifecycle.save_record(session, record=record, data=data, expected_revision=revision)
    except service.StaleRecord:  # a third save meanwhile: ask, against the latest
        session.refresh(record)
        return _conflict_page(request, session, record, section, values, revision=revision,
                              base=base)
    audit.log(session, "edited", user=user, record_id=record.id,
              detail=f"{section.slug} (merged with another person's save)", request=request)
    return see_other(_after_save(record, section, action))


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
