"""The live audit report's pages: the figures, one figure month by month with its chart, the
records behind a figure, and the report as CSV and PDF.

Managers see the exact figures and can follow them to the records (only those they may see:
the record list's visibility applies). The partnership role sees the figures and charts with
small counts suppressed (app/reports/disclosure.py) and no record: its links stop at the
numbers. Every view goes through `shown_report`, so page, CSV and PDF show the same thing.
"""

import logging
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.deps import SessionDep
from app.domain.choices import Agency, LedBy
from app.pdf import service as pdf_service
from app.records.list_query import ListQuery
from app.reports import charts, exports
from app.reports.disclosure import Disclosed, Shown, report_for, sees_exact_figures
from app.reports.figures import BY_ID, Figure, behind, months_between
from app.reports.query import ReportQuery, read_query
from app.templating import templates
from app.web import access
from app.web.pdf_routes import FAILED, TOO_BUSY
from app.web.roles import FigureRecordsReader, ReportReader

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def may_follow(user: User) -> bool:
    """Whether the figures link to records: the partnership sees figures, never records."""
    return sees_exact_figures(user)


def _teams(session: Session) -> list[str]:
    return list(session.execute(select(User.team).where(User.team.is_not(None))
                                .distinct().order_by(User.team)).scalars())


def _parsed(request: Request, session: Session, user: User, template: str, context: dict):
    typed = dict(request.query_params.items())
    context |= {"typed": typed, "teams": _teams(session), "led_by_choices": list(LedBy),
                "may_follow": may_follow(user)}
    query, errors = read_query(user, typed)
    if errors:
        context |= {"errors": errors, "query": None}
        return None, templates.TemplateResponse(request, template, context, status_code=422)
    return query, None


def shown_report(session: Session, user: User, query: ReportQuery,
                 figures: list[Figure] | None = None) -> Disclosed:
    """The report as this user may see it (exact, or suppressed for the partnership)."""
    return report_for(session, user, query.scope(), months_between(query.start, query.end),
                      figures)


def grouped(results: list[Shown]) -> dict[str, list[Shown]]:
    groups: dict[str, list[Shown]] = {}
    for result in results:
        groups.setdefault(result.figure.group, []).append(result)
    return groups


@router.get("/reports/audit", response_class=HTMLResponse)
def audit_report(request: Request, session: SessionDep, user: ReportReader):
    context = {"title": "Live audit"}
    query, invalid = _parsed(request, session, user, "reports/audit.html", context)
    if invalid:
        return invalid
    shown = shown_report(session, user, query)
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit report {query.params()}")
    context |= {"query": query, "groups": grouped(shown.figures), "report": shown,
                "agencies": Agency, "errors": None}
    return templates.TemplateResponse(request, "reports/audit.html", context)


def _figure_or_404(figure_id: str) -> Figure:
    figure = BY_ID.get(figure_id)
    if figure is None:
        raise HTTPException(404, "No such figure in the live audit report")
    return figure


def chart_of(shown: Shown, query: ReportQuery) -> str:
    """The figure's percentage month by month; a month whose percentage is withheld (the
    partnership's view) is not drawn, and the chart says so."""
    months = months_between(query.start, query.end)
    cells = [shown.months[m] for m in months]
    return charts.line_chart(
        shown.figure.label, [date.fromisoformat(f"{m}-01") for m in months],
        {"Percentage": [cell.percentage for cell in cells]},
        y_label="Percentage of " + shown.figure.unit,
        withheld=[date.fromisoformat(f"{m}-01") for m, cell in zip(months, cells, strict=True)
                  if "percentage" in cell.withheld])


@router.get("/reports/audit/figures/{figure_id}", response_class=HTMLResponse)
def figure_page(request: Request, figure_id: str, session: SessionDep, user: ReportReader):
    figure = _figure_or_404(figure_id)
    context = {"title": figure.label, "figure": figure}
    query, invalid = _parsed(request, session, user, "reports/figure.html", context)
    if invalid:
        return invalid
    shown = shown_report(session, user, query, [figure])
    result = shown.figures[0]
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit figure {figure.id} {query.params()}")
    context |= {"query": query, "result": result, "report": shown,
                "chart": chart_of(result, query),
                "months": months_between(query.start, query.end), "agencies": Agency,
                "errors": None}
    return templates.TemplateResponse(request, "reports/figure.html", context)


@router.get("/reports/audit/figures/{figure_id}/records", response_class=HTMLResponse)
def figure_records(request: Request, figure_id: str, session: SessionDep,
                   user: FigureRecordsReader):
    """The record list, limited to the records behind the figure (and to what the user may
    see, as every list is)."""
    figure = _figure_or_404(figure_id)
    context = {"title": f"Records behind: {figure.label}", "figure": figure}
    query, invalid = _parsed(request, session, user, "reports/records.html", context)
    if invalid:
        return invalid
    which = request.query_params.get("which", "numerator")
    part = request.query_params.get("part") or None
    if which not in ("numerator", "denominator") or (
            part is not None and part not in Agency._value2member_map_):
        raise HTTPException(404, "No such list of records for this figure")
    numerator, scope = which == "numerator", query.scope()
    among = behind(figure, scope, numerator=numerator, part=part)
    try:
        list_query = ListQuery.model_validate(
            {k: request.query_params[k] for k in ("after", "before", "sort")
             if k in request.query_params})
    except ValidationError:
        raise HTTPException(404, "Not a position in this list: use its Next and Previous "
                                 "links") from None
    page = access.visible_records(session, user, list_query, among=among)
    audit.log(session, "viewed", user=user, request=request,
              detail=f"records behind live audit figure {figure.id} ({which}) {query.params()}")
    context |= {"query": query, "page": page, "which": which, "part": part,
                "agencies": Agency, "errors": None}
    return templates.TemplateResponse(request, "reports/records.html", context)


def _download_query(request: Request, user: User) -> ReportQuery:
    """A download's choices; a file has no form to show again, so a bad one is a plain 422."""
    query, errors = read_query(user, dict(request.query_params.items()))
    if errors:
        raise HTTPException(422, "; ".join(errors.values()))
    return query


@router.get("/reports/audit.csv")
def audit_csv(request: Request, session: SessionDep, user: ReportReader):
    query = _download_query(request, user)
    shown = shown_report(session, user, query)
    audit.log(session, "downloaded", user=user, request=request,
              detail=f"live audit report CSV {query.params()}")
    return exports.report_csv(shown, query)


@router.get("/reports/audit.pdf")
def audit_pdf(request: Request, session: SessionDep, user: ReportReader):
    query = _download_query(request, user)
    shown = shown_report(session, user, query)
    session.commit()  # no connection held while the render runs
    charts_by_id = {r.figure.id: chart_of(r, query) for r in shown.figures}
    try:
        content = exports.report_pdf(shown, query, charts_by_id)
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
