"""The live audit as files: CSV (every figure, whole and month by month) and a PDF with the
charts, OFFICIAL-SENSITIVE on every page."""

from datetime import UTC, datetime

from fastapi.responses import StreamingResponse

from app.csv_export import csv_response
from app.pdf.service import render_html
from app.records.display import as_text
from app.reports.figures import Count, Result, months_between
from app.reports.query import ReportQuery
from app.templating import templates


def filename(query: ReportQuery, extension: str) -> str:
    return f"live-audit-{query.start.isoformat()}-to-{query.end.isoformat()}.{extension}"


def report_html(results: list[Result], query: ReportQuery, extras, charts: dict[str, str]) -> str:
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(result.figure.group, []).append(result)
    return templates.get_template("pdf/audit.html").render(
        query=query, groups=groups, extras=extras, charts=charts,
        generated_at=as_text(datetime.now(UTC)))


def report_csv(results: list[Result], query: ReportQuery, extras) -> StreamingResponse:
    rows = csv_rows(results, query, extras)
    return csv_response(filename(query, "csv"), next(rows), rows)


def report_pdf(results: list[Result], query: ReportQuery, extras, charts: dict[str, str]) -> bytes:
    return render_html(report_html(results, query, extras, charts), filename(query, "pdf"))


def csv_rows(results: list[Result], query: ReportQuery, extras):
    """One row per figure (and agency, where counted per agency) for the whole period, then
    one per month; then the managers' most common comments when returning a record."""
    yield ("figure_id", "group", "figure", "unit", "period", "numerator", "denominator",
           "percentage")
    months = months_between(query.start, query.end)
    period = f"{query.start.isoformat()}/{query.end.isoformat()}"
    for result in results:
        f = result.figure
        rows = [(f.id, f.label, period, result.total)]
        rows += [(f"{f.id}.{part}", f"{f.label}: {part}", period, c)
                 for part, c in sorted(result.parts.items())]
        rows += [(f.id, f.label, month, result.months.get(month, Count())) for month in months]
        for figure_id, label, when, c in rows:
            yield [figure_id, f.group, label, f.unit, when, c.numerator, c.denominator,
                   "" if c.percentage is None else c.percentage]
    for text, times in extras.return_reasons:
        yield ["returned.comment", "Review and amendment", text, "returns", period, times, "", ""]
