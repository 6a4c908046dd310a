"""The list of strategy records a person may see: the page, its CSV download, and the
damaged records administrators repair."""


from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.roles import can_record, can_see_damaged
from app.clock import uk_local
from app.csv_export import csv_response
from app.deps import SessionDep
from app.domain.choices import Choice, LedBy, Outcome, RecordStatus
from app.domain.schema import uk_now
from app.records import service
from app.records.list_query import ListQuery
from app.records.listing import ListedRecord
from app.sending import service as sending
from app.templating import templates
from app.web import access
from app.web.auth_pages import landing_page
from app.web.responses import see_other
from app.web.roles import DamagedRecordsReader, RecordListReader

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(user: PageUser) -> RedirectResponse:
    # Each role's own first page: the safeguarding partnership sees the reports, not records.
    return see_other(landing_page(user))


@router.get("/strategies", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, user: RecordListReader):
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
def list_csv(request: Request, session: SessionDep, user: RecordListReader):
    """The list with its current filters, every page of it, as CSV: streamed in keyset
    batches (app/records/access.all_visible), and written to the audit log."""
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
    today = uk_now().date()
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
def damaged_records_page(request: Request, session: SessionDep, user: DamagedRecordsReader):
    audit.log(session, "viewed", user=user, detail="damaged records", request=request)
    context = {"title": "Damaged records", "records": service.damaged_records(session)}
    return templates.TemplateResponse(request, "damaged_records.html", context)
