"""The directory on a page (administrators) and as JSON (GET /api/organisations)."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from app.auth.roles import Role
from app.deps import PostedForm, SessionDep
from app.domain.choices import Agency
from app.organisations import contacts, service
from app.organisations.service import PARTNER_AGENCIES, DirectoryRefused
from app.templating import templates
from app.web.roles import ApiRecipientChooser, DirectoryAdmin

router = APIRouter()


class OrganisationOut(BaseModel):
    id: int
    name: str
    agency: Agency
    active: bool


@router.get("/api/organisations", response_model=list[OrganisationOut], tags=["organisations"])
def list_organisations(session: SessionDep, user: ApiRecipientChooser):
    """The organisations this person may name on a record's distribution (social care: the
    active ones) or manage (an administrator: all of them)."""
    return service.every(session, active_only=user.role != Role.ADMIN)


def _page(request, session, *, errors=None, typed=None, status_code=200):
    return templates.TemplateResponse(request, "organisations.html", {
        "title": ("Error: " if errors else "") + "Organisations",
        "organisations": service.every(session), "errors": errors or {}, "typed": typed or {},
        "agencies": [(a.value, a.label) for a in PARTNER_AGENCIES]}, status_code=status_code)


@router.get("/organisations", response_class=HTMLResponse, include_in_schema=False)
def organisations_page(request: Request, session: SessionDep, user: DirectoryAdmin):
    return _page(request, session)


@router.post("/organisations", include_in_schema=False)
def add_organisation(request: Request, session: SessionDep, user: DirectoryAdmin, form: PostedForm):
    typed = {key: str(form.get(key) or "") for key in ("name", "agency", "email")}
    try:
        service.create(session, name=typed["name"], agency=typed["agency"],
                       email=typed["email"], by=user, request=request)
    except DirectoryRefused as refused:
        return _page(request, session, errors={"name": str(refused)}, typed=typed,
                     status_code=422)
    return RedirectResponse("/organisations", status_code=303)


@router.post("/organisations/{organisation_id}/active", include_in_schema=False)
def set_active(organisation_id: int, request: Request, session: SessionDep, user: DirectoryAdmin,
               form: PostedForm):
    organisation = service.get(session, organisation_id)
    if organisation is None:
        raise HTTPException(404, "No such organisation")
    service.change(session, organisation, name=organisation.name, email=organisation.email,
                   active=form.get("active") == "yes", by=user, request=request)
    return RedirectResponse("/organisations", status_code=303)


# --- named contacts (read by personal link, app/links) ---------------------------------------


def _contacts_page(request, session, organisation, *, errors=None, typed=None, status_code=200):
    return templates.TemplateResponse(request, "organisation_contacts.html", {
        "title": ("Error: " if errors else "") + f"Contacts at {organisation.name}",
        "organisation": organisation, "contacts": contacts.of(session, organisation.id),
        "errors": errors or {}, "typed": typed or {}}, status_code=status_code)


def _organisation(session, organisation_id):
    organisation = service.get(session, organisation_id)
    if organisation is None:
        raise HTTPException(404, "No such organisation")
    return organisation


@router.get("/organisations/{organisation_id}/contacts", response_class=HTMLResponse,
            include_in_schema=False)
def contacts_page(organisation_id: int, request: Request, session: SessionDep, user: DirectoryAdmin):
    return _contacts_page(request, session, _organisation(session, organisation_id))


@router.post("/organisations/{organisation_id}/contacts", include_in_schema=False)
def add_contact(organisation_id: int, request: Request, session: SessionDep, user: DirectoryAdmin,
                form: PostedForm):
    organisation = _organisation(session, organisation_id)
    typed = {key: str(form.get(key) or "") for key in ("name", "role", "email", "secure")}
    try:
        contacts.create(session, organisation.id, name=typed["name"], role=typed["role"],
                        email=typed["email"], secure=typed["secure"] == "yes", by=user,
                        request=request)
    except DirectoryRefused as refused:
        field = "email" if "email" in str(refused) or "@" in str(refused) else "name"
        return _contacts_page(request, session, organisation, errors={field: str(refused)},
                              typed=typed, status_code=422)
    return RedirectResponse(f"/organisations/{organisation.id}/contacts", status_code=303)


@router.post("/organisations/{organisation_id}/contacts/{contact_id}/active",
             include_in_schema=False)
def set_contact_active(organisation_id: int, contact_id: int, request: Request,
                       session: SessionDep, user: DirectoryAdmin, form: PostedForm):
    contact = contacts.get(session, contact_id)
    if contact is None or contact.organisation_id != organisation_id:
        raise HTTPException(404, "No such contact")
    contacts.set_active(session, contact, form.get("active") == "yes", by=user, request=request)
    return RedirectResponse(f"/organisations/{organisation_id}/contacts", status_code=303)
