"""The live audit as files: CSV (every figure, whole and month by month, then the reasons
managers chose when returning records) and a PDF with the charts, OFFICIAL-SENSITIVE on every
page. Both show the report as `disclosure.disclose` gave it for the reader: exact for
managers, small counts suppressed for the partnership ("fewer than 5", "withheld")."""


from fastapi.responses import StreamingResponse

from app.clock import utc_now
from app.csv_export import csv_response
from app.pdf.service import render_html
from app.records.display import as_text
from app.reports.disclosure import Cell, Disclosed, Shown
from app.reports.query import ReportQuery
from app.templating import templates


def filename(query: ReportQuery, extension: str) -> str:
    return f"live-audit-{query.start.isoformat()}-to-{query.end.isoformat()}.{extension}"


def report_html(shown: Disclosed, query: ReportQuery, charts: dict[str, str]) -> str:
    groups: dict[str, list[Shown]] = {}
    for result in shown.figures:
        groups.setdefault(result.figure.group, []).append(result)
    return templates.get_template("pdf/audit.html").render(
        query=query, groups=groups, report=shown, charts=charts,
        generated_at=as_text(utc_now()))


def report_csv(shown: Disclosed, query: ReportQuery) -> StreamingResponse:
    rows = csv_rows(shown, query)
    return csv_response(filename(query, "csv"), next(rows), rows)


def report_pdf(shown: Disclosed, query: ReportQuery, charts: dict[str, str]) -> bytes:
    return render_html(report_html(shown, query, charts), filename(query, "pdf"))


def _numbers(cell: Cell) -> list:
    """Numerator, denominator and percentage: numbers, or the words for a withheld one."""
    return [cell.text(name) if name in cell.withheld else
            ("" if getattr(cell, name) is None else getattr(cell, name))
            for name in ("numerator", "denominator", "percentage")]


def csv_rows(shown: Disclosed, query: ReportQuery):
    """One row per figure (and agency, where counted per agency) for the whole period, then
    one per month; then how many returns gave each reason (out of every return)."""
    yield ("figure_id", "group", "figure", "unit", "period", "numerator", "denominator",
           "percentage")
    period = f"{query.start.isoformat()}/{query.end.isoformat()}"
    for result in shown.figures:
        f = result.figure
        rows = [(f.id, f.label, period, result.total)]
        rows += [(f"{f.id}.{part}", f"{f.label}: {part}", period, cell)
                 for part, cell in result.parts.items()]
        rows += [(f.id, f.label, month, cell) for month, cell in result.months.items()]
        for figure_id, label, when, cell in rows:
            yield [figure_id, f.group, label, f.unit, when, *_numbers(cell)]
    for category, label, cell in shown.reasons:
        yield [f"returned.reason.{category}", "Review and amendment",
               f"Returns giving the reason: {label}", "returns", period, *_numbers(cell)]
