"""The live audit report's pages: the figures, one figure month by month with its chart, the
records behind a figure, and the report as CSV and PDF.

Managers see the figures and can follow them to the records (only those they may see:
the record list's visibility applies). The partnership role sees the figures and charts and
no record: its links stop at the numbers.
"""

import logging
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.models import User
from app.auth.roles import Role, can_see_reports
from app.deps import SessionDep
from app.domain.choices import Agency, LedBy
from app.pdf import service as pdf_service
from app.pdf.routes import FAILED, TOO_BUSY
from app.records import access
from app.records.listing import ListQuery
from app.records.models import StrategyRecord
from app.reports import charts, exports
from app.reports.figures import (
    BY_ID,
    Figure,
    Result,
    common_return_reasons,
    count,
    months_between,
    record_ids,
    referrer_days,
    report,
    triage_hours,
)
from app.reports.query import ReportQuery, query_errors
from app.templating import templates

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


@dataclass
class Extras:
    """What the figures alone do not say: reasons, averages and breakdowns."""

    return_reasons: list[tuple[str, int]]
    referrer_days: float | None
    triage_hours: float | None


def _allowed(request: Request, session: Session, user: User) -> None:
    if not can_see_reports(user):
        audit.log(session, "refused", user=user, detail=f"GET {request.url.path}",
                  request=request)
        raise HTTPException(403, "Only managers and the safeguarding partnership can see the "
                                 "live audit report")


def may_follow(user: User) -> bool:
    """Whether the figures link to records: the partnership sees figures, never records."""
    return user.role != Role.PARTNERSHIP


def _teams(session: Session) -> list[str]:
    return list(session.execute(select(User.team).where(User.team.is_not(None))
                                .distinct().order_by(User.team)).scalars())


def _parsed(request: Request, session: Session, user: User, template: str, context: dict):
    typed = dict(request.query_params.items())
    context |= {"typed": typed, "teams": _teams(session), "led_by_choices": list(LedBy),
                "may_follow": may_follow(user)}
    try:
        return ReportQuery.model_validate(typed), None
    except ValidationError as error:
        errors = query_errors(error)
        context |= {"errors": errors, "query": None}
        return None, templates.TemplateResponse(request, template, context, status_code=422)


def extras(session: Session, query: ReportQuery) -> Extras:
    scope = query.scope()
    return Extras(common_return_reasons(session, scope), referrer_days(session, scope),
                  triage_hours(session, scope))


def grouped(results: list[Result]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(result.figure.group, []).append(result)
    return groups


@router.get("/reports/audit", response_class=HTMLResponse)
def audit_report(request: Request, session: SessionDep, user: PageUser):
    _allowed(request, session, user)
    context = {"title": "Live audit"}
    query, invalid = _parsed(request, session, user, "reports/audit.html", context)
    if invalid:
        return invalid
    results = report(session, query.scope())
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit report {query.params()}")
    context |= {"query": query, "groups": grouped(results), "extras": extras(session, query),
                "agencies": Agency, "errors": None}
    return templates.TemplateResponse(request, "reports/audit.html", context)


def _figure_or_404(figure_id: str) -> Figure:
    figure = BY_ID.get(figure_id)
    if figure is None:
        raise HTTPException(404, "No such figure in the live audit report")
    return figure


def chart_of(result: Result, query: ReportQuery) -> str:
    months = months_between(query.start, query.end)
    shares = [result.months[m].percentage if m in result.months else None for m in months]
    return charts.line_chart(
        result.figure.label, [date.fromisoformat(f"{m}-01") for m in months],
        {"Percentage": shares}, y_label="Percentage of " + result.figure.unit)


@router.get("/reports/audit/figures/{figure_id}", response_class=HTMLResponse)
def figure_page(request: Request, figure_id: str, session: SessionDep, user: PageUser):
    _allowed(request, session, user)
    figure = _figure_or_404(figure_id)
    context = {"title": figure.label, "figure": figure}
    query, invalid = _parsed(request, session, user, "reports/figure.html", context)
    if invalid:
        return invalid
    result = count(session, figure, query.scope())
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit figure {figure.id} {query.params()}")
    context |= {"query": query, "result": result, "chart": chart_of(result, query),
                "months": months_between(query.start, query.end), "agencies": Agency,
                "errors": None}
    return templates.TemplateResponse(request, "reports/figure.html", context)


@router.get("/reports/audit/figures/{figure_id}/records", response_class=HTMLResponse)
def figure_records(request: Request, figure_id: str, session: SessionDep, user: PageUser):
    """The record list, limited to the records behind the figure (and to what the user may
    see, as every list is)."""
    _allowed(request, session, user)
    figure = _figure_or_404(figure_id)
    if not may_follow(user):
        audit.log(session, "refused", user=user, detail=f"GET {request.url.path}",
                  request=request)
        raise HTTPException(403, "The safeguarding partnership sees figures, not records")
    context = {"title": f"Records behind: {figure.label}", "figure": figure}
    query, invalid = _parsed(request, session, user, "reports/records.html", context)
    if invalid:
        return invalid
    which = request.query_params.get("which", "numerator")
    part = request.query_params.get("part") or None
    if which not in ("numerator", "denominator") or (
            part is not None and part not in Agency._value2member_map_):
        raise HTTPException(404, "No such list of records for this figure")
    ids = record_ids(session, figure, query.scope(), numerator=which == "numerator", part=part)
    try:
        list_query = ListQuery.model_validate(
            {k: request.query_params[k] for k in ("after", "before", "sort")
             if k in request.query_params})
    except ValidationError:
        raise HTTPException(404, "Not a position in this list: use its Next and Previous "
                                 "links") from None
    page = access.visible_records(session, user, list_query,
                                  restrict=StrategyRecord.id.in_(ids.scalar_subquery()))
    audit.log(session, "viewed", user=user, request=request,
              detail=f"records behind live audit figure {figure.id} ({which}) {query.params()}")
    context |= {"query": query, "page": page, "which": which, "part": part,
                "agencies": Agency, "errors": None}
    return templates.TemplateResponse(request, "reports/records.html", context)


def _download_query(request: Request, session: Session, user: User) -> ReportQuery:
    """A download's choices; a file has no form to show again, so a bad one is a plain 422."""
    _allowed(request, session, user)
    try:
        return ReportQuery.model_validate(dict(request.query_params.items()))
    except ValidationError as error:
        raise HTTPException(422, "; ".join(query_errors(error).values())) from None


@router.get("/reports/audit.csv")
def audit_csv(request: Request, session: SessionDep, user: PageUser):
    query = _download_query(request, session, user)
    results = report(session, query.scope())
    audit.log(session, "downloaded", user=user, request=request,
              detail=f"live audit report CSV {query.params()}")
    return exports.report_csv(results, query, extras(session, query))


@router.get("/reports/audit.pdf")
def audit_pdf(request: Request, session: SessionDep, user: PageUser):
    query = _download_query(request, session, user)
    results = report(session, query.scope())
    details = extras(session, query)
    session.commit()  # no connection held while the render runs
    charts_by_id = {r.figure.id: chart_of(r, query) for r in results}
    try:
        content = exports.report_pdf(results, query, details, charts_by_id)
    except (pdf_service.RenderTimeout, pdf_service.RenderBusy):
        raise HTTPException(503, TOO_BUSY) from None
    except pdf_service.RenderFailed as failure:
        log.error("Printing the live audit report failed: %s", failure)
        raise HTTPException(503, FAILED) from None
    audit.log(session, "downloaded", user=user, request=request,
              detail=f"live audit report PDF {query.params()}")
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{exports.filename(query, "pdf")}"',
        "Cache-Control": "no-store"})
