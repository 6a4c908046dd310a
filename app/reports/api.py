"""GET /api/reports/audit: every figure of the live audit, with the records behind it."""

from datetime import date

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ValidationError

from app.auth import audit
from app.auth.deps import ApiUser
from app.auth.roles import can_see_reports
from app.deps import SessionDep
from app.domain.choices import LedBy
from app.records.api import READ_ERRORS, invalid, problem
from app.reports.figures import Count, Result, months_between, record_ids, report
from app.reports.query import ReportQuery, query_errors

router = APIRouter(prefix="/api/reports", tags=["reports"])


class MonthOut(BaseModel):
    month: str  # YYYY-MM
    numerator: int
    denominator: int


class FigureOut(BaseModel):
    id: str
    group: str
    label: str
    unit: str
    numerator: int
    denominator: int
    percentage: float | None
    lower_is_better: bool
    # The records behind the numerator (for requests and actions: the records they belong to).
    record_ids: list[int]
    months: list[MonthOut]


class ReportOut(BaseModel):
    start: date
    end: date
    team: str | None
    led_by: LedBy | None
    figures: list[FigureOut]


def _out(session, result: Result, query: ReportQuery, part: str | None = None) -> FigureOut:
    figure = result.figure
    total = result.parts.get(part, Count()) if part else result.total
    ids = record_ids(session, figure, query.scope(), part=part)
    months = [] if part else [
        MonthOut(month=m, numerator=result.months[m].numerator,
                 denominator=result.months[m].denominator)
        for m in months_between(query.start, query.end) if m in result.months]
    return FigureOut(
        id=f"{figure.id}.{part}" if part else figure.id, group=figure.group,
        label=f"{figure.label}: {part}" if part else figure.label, unit=figure.unit,
        numerator=total.numerator, denominator=total.denominator,
        percentage=total.percentage, lower_is_better=figure.lower_is_better,
        record_ids=sorted(session.execute(ids).scalars()), months=months)


@router.get("/audit", response_model=ReportOut, responses={
    **READ_ERRORS, 403: problem("Only managers and the safeguarding partnership see reports")})
def audit_report(request: Request, session: SessionDep, user: ApiUser,
                 start: date | None = Query(None, alias="from"),
                 end: date | None = Query(None, alias="to"),
                 team: str | None = Query(None, max_length=80),
                 led_by: LedBy | None = None) -> ReportOut:
    """The live audit over discussions from `from` to `to` (default: the last twelve months),
    optionally one team's or one kind of lead's. A figure counted per agency is listed whole
    and then once per agency, as `<id>.<agency>`."""
    if not can_see_reports(user):
        audit.log(session, "refused", user=user, detail="GET /api/reports/audit", request=request)
        raise HTTPException(403, "Only managers and the safeguarding partnership see reports")
    try:
        query = ReportQuery.model_validate(
            {"from": start, "to": end, "team": team, "led_by": led_by})
    except ValidationError as error:
        field, message = next(iter(query_errors(error).items()))
        raise invalid(("query", field), message, request.query_params.get(field)) from None
    figures: list[FigureOut] = []
    for result in report(session, query.scope()):
        figures.append(_out(session, result, query))
        figures += [_out(session, result, query, part) for part in sorted(result.parts)]
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit report API {query.params()}")
    return ReportOut(start=query.start, end=query.end, team=query.team, led_by=query.led_by,
                     figures=figures)
