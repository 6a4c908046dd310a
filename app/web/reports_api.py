"""GET /api/reports/audit: every figure of the live audit, as the reader may see it (exact for
managers, with where to list the records behind each figure they may see; small counts
suppressed for the safeguarding partnership, and no record ids). The ids behind a figure come
a page at a time from GET /api/reports/audit/figures/{id}/records, only when asked for: the
report itself stays small and costs one aggregate per family of figures."""

from datetime import date
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.auth import audit
from app.auth.models import User
from app.deps import SessionDep
from app.domain.choices import Agency, LedBy
from app.records.among import Among, ids_by_day
from app.records.list_query import CURSOR_SEPARATOR
from app.records.models import StrategyRecord
from app.reports.disclosure import Cell, Shown, Withheld
from app.reports.figures import BY_ID, behind
from app.reports.query import ReportQuery, read_query
from app.web.access import visible_filter
from app.web.api_common import READ_ERRORS, invalid, problem
from app.web.reports_pages import shown_report
from app.web.roles import ApiFigureRecordsReader, ApiReportReader

router = APIRouter(prefix="/api/reports", tags=["reports"])
# The most record ids one page of a figure's records gives.
MAX_IDS = 1000

SUPPRESSED = Field(
    default_factory=dict,
    description="The values not shown, and why: `fewer_than_5` (the count is 0 to 4) or "
                "`protects_small_count` (it would let a count of fewer than 5 be worked out). "
                "Such a value is null. Empty for managers, who see exact figures")
Value = Literal["numerator", "denominator", "percentage"]


class MonthOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    numerator: int | None
    denominator: int | None
    suppressed: dict[Value, Withheld] = SUPPRESSED


class FigureOut(BaseModel):
    id: str
    group: str
    label: str
    unit: str
    numerator: int | None = Field(description="null when suppressed (see `suppressed`)")
    denominator: int | None = Field(description="null when suppressed (see `suppressed`)")
    percentage: float | None = Field(description="null when suppressed, or of nothing")
    suppressed: dict[Value, Withheld] = SUPPRESSED
    lower_is_better: bool
    record_ids: None = Field(None, description=(
        "Always null here: the records behind a figure are listed a page at a time at "
        "`records_url`"))
    records_url: str | None = Field(description=(
        "Where the ids of the records behind the numerator that you may see are listed, a "
        "page at a time (for requests and actions: the records they belong to). null for "
        "the safeguarding partnership, who see no record"))
    months: list[MonthOut] = Field(description=(
        "Managers: the months with something counted. The partnership: every month of the "
        "period, so that no month's absence gives a count away"))


class ReasonOut(BaseModel):
    reason: str = Field(description="A return reason (ReturnReason), or `not_categorised` for "
                                    "returns made before reasons were chosen")
    label: str
    returns: int | None = Field(description="Returns giving this reason; null when suppressed")
    out_of: int | None = Field(description="Every return counted; null when suppressed")
    percentage: float | None
    suppressed: dict[Literal["returns", "out_of", "percentage"], Withheld] = SUPPRESSED


class ReportOut(BaseModel):
    start: date
    end: date
    team: str | None
    led_by: LedBy | None
    figures: list[FigureOut]
    return_reasons: list[ReasonOut] = Field(description=(
        "Why records were returned to their authors, by category (a return may give several). "
        "Never the comments"))


class RecordIdsOut(BaseModel):
    figure: str = Field(description="The figure's id, as in the report (`<id>.<agency>` for "
                                    "one agency's part)")
    record_ids: list[int] = Field(description=(
        "The records behind the numerator that you may see, at most `limit`: in order of "
        "their discussion's day, then id (a request's figure: in id order)"))
    next_after: str | None = Field(description=(
        "Pass as `after` for the next page; null on the last page"))


NOT_A_POSITION = "Not a position in this list: pass next_after from the page before"


def _position(among: Among, after: str | None) -> tuple[date, int] | int | None:
    """Where `after` (a page's `next_after`) says the next page starts: a day and an id, or
    for a figure listed in id order an id."""
    if after is None:
        return None
    try:
        day, separator, record_id = after.partition(CURSOR_SEPARATOR)
        if among.by_day is None:
            day, record_id = None, after
        elif not separator:
            raise ValueError(after)
        if not (record_id.isascii() and record_id.isdigit()) or int(record_id) >= 2**31:
            raise ValueError(after)
        number = int(record_id)
        return number if day is None else (date.fromisoformat(day), number)
    except ValueError:
        raise invalid(("query", "after"), NOT_A_POSITION, after) from None


def _page_of_ids(session, user: User, among: Among, after: str | None, limit: int
                 ) -> tuple[list[int], str | None]:
    """A page of the ids behind a figure that this user may see (the record list's own
    rule), and where the next page starts. Read day by day from the figure's own rows where
    its records were discussed in the period (`among.by_day`); else in id order, gathered."""
    position = _position(among, after)
    if among.by_day is not None:
        rows = ids_by_day(session, among.by_day, visible_filter(user), position, limit + 1)
        last = rows[limit - 1] if len(rows) > limit else None
        return [row.id for row in rows[:limit]], (
            None if last is None else f"{last.day.isoformat()}{CURSOR_SEPARATOR}{last.id}")
    query = (select(StrategyRecord.id)
             .where(StrategyRecord.id.in_(among.ids.scalar_subquery()), visible_filter(user),
                    StrategyRecord.id > (position or 0))
             .order_by(StrategyRecord.id).limit(limit + 1))
    ids = list(session.execute(query).scalars())
    return ids[:limit], str(ids[limit - 1]) if len(ids) > limit else None


def _out(session, user: User, exact: bool, shown: Shown, query: ReportQuery,
         part: str | None = None) -> FigureOut:
    figure = shown.figure
    cell = shown.parts[part] if part else shown.total
    records_url = None
    if exact:
        which = f"{figure.id}.{part}" if part else figure.id
        records_url = f"/api/reports/audit/figures/{which}/records?{query.params()}"
    months = [] if part else [
        MonthOut(month=m, numerator=c.numerator, denominator=c.denominator,
                 suppressed=_why(c, ("numerator", "denominator")))
        for m, c in shown.months.items() if not exact or c.denominator]
    return FigureOut(
        id=f"{figure.id}.{part}" if part else figure.id, group=figure.group,
        label=f"{figure.label}: {part}" if part else figure.label, unit=figure.unit,
        numerator=cell.numerator, denominator=cell.denominator, percentage=cell.percentage,
        suppressed=_why(cell), lower_is_better=figure.lower_is_better, records_url=records_url,
        months=months)


def _why(cell: Cell, names=("numerator", "denominator", "percentage")) -> dict:
    return {name: why for name, why in cell.withheld.items() if name in names}


def _reason_out(category: str, label: str, cell: Cell) -> ReasonOut:
    renamed = {"numerator": "returns", "denominator": "out_of", "percentage": "percentage"}
    return ReasonOut(reason=category, label=label, returns=cell.numerator,
                     out_of=cell.denominator, percentage=cell.percentage,
                     suppressed={renamed[name]: why for name, why in cell.withheld.items()})


@router.get("/audit", response_model=ReportOut, responses={
    **READ_ERRORS, 403: problem("Only managers and the safeguarding partnership see reports")})
def audit_report(request: Request, session: SessionDep, user: ApiReportReader,
                 start: date | None = Query(None, alias="from"),
                 end: date | None = Query(None, alias="to"),
                 team: str | None = Query(None, max_length=80),
                 led_by: LedBy | None = None) -> ReportOut:
    """The live audit over discussions from `from` to `to` (default: the last twelve months),
    optionally one team's or one kind of lead's. A figure counted per agency is listed whole
    and then once per agency, as `<id>.<agency>`. For the safeguarding partnership, counts
    below 5 (and counts that would reveal one) are null with the reason in `suppressed`,
    `record_ids` is null, and the period is widened to whole months and ends with the last
    complete month (`start` and `end` say which); a period with no complete month is a 422."""
    query, errors = read_query(user, {"from": start, "to": end, "team": team, "led_by": led_by})
    if errors:
        field, message = next(iter(errors.items()))
        raise invalid(("query", field), message, request.query_params.get(field))
    report = shown_report(session, user, query)
    figures: list[FigureOut] = []
    for shown in report.figures:
        figures.append(_out(session, user, report.exact, shown, query))
        figures += [_out(session, user, report.exact, shown, query, part) for part in shown.parts]
    audit.log(session, "viewed", user=user, request=request,
              detail=f"live audit report API {query.params()}")
    return ReportOut(start=query.start, end=query.end, team=query.team, led_by=query.led_by,
                     figures=figures,
                     return_reasons=[_reason_out(*reason) for reason in report.reasons])


@router.get("/audit/figures/{figure_id}/records", response_model=RecordIdsOut, responses={
    **READ_ERRORS, 403: problem("The safeguarding partnership sees figures, not records"),
    404: problem("No such figure (or agency part) in the live audit report")})
def figure_record_ids(request: Request, figure_id: str, session: SessionDep,
                      user: ApiFigureRecordsReader,
                      start: date | None = Query(None, alias="from"),
                      end: date | None = Query(None, alias="to"),
                      team: str | None = Query(None, max_length=80),
                      led_by: LedBy | None = None,
                      after: str | None = Query(None, max_length=40, description=(
                          "The `next_after` of the page before")),
                      limit: int = Query(500, ge=1, le=MAX_IDS)) -> RecordIdsOut:
    """The ids of the records behind a figure's numerator that you may see (a figure's
    `records_url`), `limit` at a time, in order of their discussion's day and then id (a
    request's figure: in id order): managers only."""
    figure_name, _, part = figure_id.partition(".")
    figure = BY_ID.get(figure_name)
    if figure is None or (part and (not figure.parts or part not in Agency._value2member_map_)):
        raise HTTPException(404, "No such figure (or agency part) in the live audit report")
    query, errors = read_query(user, {"from": start, "to": end, "team": team, "led_by": led_by})
    if errors:
        field, message = next(iter(errors.items()))
        raise invalid(("query", field), message, request.query_params.get(field))
    ids, next_after = _page_of_ids(session, user, behind(figure, query.scope(), part=part or None),
                                   after, limit)
    audit.log(session, "viewed", user=user, request=request,
              detail=f"records behind live audit figure {figure_id} {query.params()}")
    return RecordIdsOut(figure=figure_id, record_ids=ids, next_after=next_after)
