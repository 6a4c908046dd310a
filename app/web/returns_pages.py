"""The returns' pages: the section 47 enquiry's course on the follow-up page, and the Returns
page (managers): a period's Section47 items checked, each problem linked to where it is fixed,
and the downloads (CIN census XML and CSV, the Standard Safeguarding Dataset's two tables).
Every download is audited with its period, rows and failed rows, and streamed."""

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from app.auth import audit
from app.auth.deps import PageUser
from app.clock import uk_now
from app.csv_export import csv_response
from app.deps import PostedValues, SessionDep
from app.followup import section47
from app.returns import census, period, ssd
from app.returns import service as returns
from app.templating import templates
from app.web import access
from app.web.followup_pages import _act
from app.web.roles import ReturnsExporter

router = APIRouter(include_in_schema=False)

# name: (what it is, file name, how it is written)
DOWNLOADS = {
    "census.xml": "CIN census Section47 items (XML)",
    "census.csv": "CIN census Section47 items (CSV)",
    "ssd-s47.csv": "Standard Safeguarding Dataset: ssd_s47_enquiry (CSV)",
    "ssd-icpc.csv": "Standard Safeguarding Dataset: ssd_initial_cp_conference (CSV)",
}


@router.post("/strategies/{record_id}/section-47", response_class=HTMLResponse)
def section47_course(values: PostedValues, request: Request, record_id: int,
                     session: SessionDep, user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "s47", values,
                lambda rev, v: section47.record_course(session, record, user, rev, v),
                "s47_course")


def _page(request, user, typed, errors=None, summary=None, chosen=None, status_code=200):
    context = {"title": "Returns", "typed": typed, "errors": errors or {},
               "summary": summary, "chosen": chosen, "downloads": DOWNLOADS,
               "fix_link": returns.fix_link, "user": user,
               "query": f"from={chosen[0].isoformat()}&to={chosen[1].isoformat()}"
               if chosen else ""}
    return templates.TemplateResponse(request, "returns/returns.html", context,
                                      status_code=status_code)


@router.get("/returns", response_class=HTMLResponse)
def returns_page(request: Request, session: SessionDep, user: ReturnsExporter):
    typed = {k: v for k, v in request.query_params.items() if k in ("from", "to")}
    chosen, errors = period.parse(typed, uk_now().date())
    if errors:
        return _page(request, user, typed, errors, status_code=422)
    audit.log(session, "viewed", user=user, request=request,
              detail=f"returns {chosen[0]} to {chosen[1]}")
    summary = returns.checked(user, *chosen)
    return _page(request, user, typed, summary=summary, chosen=chosen)


def _audited(session, user, request, what: str, chosen: tuple[date, date]) -> returns.Summary:
    summary = returns.checked(user, *chosen)
    audit.log(session, "exported", user=user, request=request,
              detail=f"{what}, {chosen[0]} to {chosen[1]}: {summary.rows} "
                     f"{'row' if summary.rows == 1 else 'rows'}, {summary.failed} failed the "
                     "census checks")
    return summary


@router.get("/returns/{name}")
def download(name: str, request: Request, session: SessionDep, user: ReturnsExporter):
    if name not in DOWNLOADS:
        raise HTTPException(404, "There is no such return")
    typed = {k: v for k, v in request.query_params.items() if k in ("from", "to")}
    chosen, errors = period.parse(typed, uk_now().date())
    if errors:
        return _page(request, user, typed, errors, status_code=422)
    summary = _audited(session, user, request, DOWNLOADS[name], chosen)
    headers = {"X-Rows": str(summary.rows), "X-Rows-Failed": str(summary.failed)}
    stem = f"{name.rsplit('.', 1)[0]}-{chosen[0]}-to-{chosen[1]}"
    found = returns.items(user, *chosen)
    if name == "census.xml":
        return StreamingResponse(census.xml_chunks(found), media_type="application/xml",
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{stem}.xml"',
                                          "Cache-Control": "no-store", **headers})
    if name == "census.csv":
        return csv_response(stem, census.CSV_HEADER, map(census.csv_row, found), headers)
    if name == "ssd-s47.csv":
        return csv_response(stem, ssd.S47_HEADER, map(ssd.s47_row, found), headers)
    held = (row for row in map(ssd.icpc_row, found) if row is not None)
    return csv_response(stem, ssd.ICPC_HEADER, held, headers)
