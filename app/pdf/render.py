"""Render a strategy record to a tagged PDF/UA-1 with WeasyPrint."""


from weasyprint import HTML

from app.clock import utc_now
from app.config import get_settings
from app.pdf.fetcher import ASSETS, AssetsOnlyFetcher
from app.records.display import as_text
from app.records.models import StrategyRecord
from app.records.view import record_view
from app.rules.completeness import evaluate
from app.templating import templates


def record_html(record: StrategyRecord, *, child_key: str | None = None, after=None) -> str:
    """The printed record as HTML: the whole record, or the shared sections and one child.
    `after` (app/followup/printed.PrintedState) is what happened since it was finalised."""
    data = record.content
    return templates.get_template("pdf/record.html").render(
        record=record,
        after=after,
        view=record_view(data, evaluate(data, get_settings()), child_key=child_key),
        generated_at=as_text(utc_now()),
    )


def html_to_pdf(html: str, fetcher: AssetsOnlyFetcher | None = None) -> bytes:
    document = HTML(string=html, base_url=ASSETS.as_uri() + "/",
                    url_fetcher=fetcher or AssetsOnlyFetcher())
    # The variant and tagging belong to write_pdf(): render() silently ignores them.
    return document.write_pdf(pdf_variant="pdf/ua-1", presentational_hints=False)
