"""Saving a draft's section in the background as someone types (htmx): only what a Save would
save, never over someone else's save, and always answered with a status line."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.auth import audit
from app.auth.deps import SignInRequired, page_user
from app.auth.models import User
from app.deps import PostedValues, SessionDep
from app.domain.schema import uk_now
from app.followup import lifecycle
from app.organisations.service import UnknownRecipient
from app.records import service, staff
from app.records.form_conflicts import field_label, section_fingerprint
from app.records.forms import parse_section
from app.templating import templates
from app.web import access
from app.web.section_form import (
    _posted_base,
    _posted_revision,
    _rebased,
    _section_or_404,
    _stored_values,
    _take_conflict,
)

router = APIRouter(include_in_schema=False)


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
    values.pop("opened", None)  # only a Save's conflict page reads it
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
                                base=section_fingerprint(section, record.content),
                                opened=json.dumps(_stored_values(record, section),
                                                  ensure_ascii=False))
    try:
        lifecycle.save_record(session, record=record, data=data, expected_revision=revision)
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
                            opened=json.dumps(_stored_values(record, section), ensure_ascii=False),
                            carried=section.slug in ("agency-positions", "distribution"))
