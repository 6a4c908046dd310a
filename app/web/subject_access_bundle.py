"""The subject access bundle: a zip of every record (version) the person appears in, as PDF,
with an index of where they appear as CSV and as a cover PDF.

Passages marked for redaction are left out of the index and the cover, and each record PDF
holding one is printed again from its document with that field's text replaced by
"[Redacted]" (never a box drawn over the text, which leaves it in the file). Everything else
in the PDFs is as recorded, including other people's details: the page says so.
"""

import io
import zipfile

from fastapi import Request
from sqlmodel import Session

from app.auth.models import User
from app.clock import utc_now
from app.csv_export import csv_bytes
from app.followup.printed import printed_state
from app.pdf import service as pdf_service
from app.records.display import as_text
from app.records.models import StrategyRecord
from app.subject_access.search import Found, Hit
from app.templating import templates
from app.web import access
from app.web.pdf_routes import safe_filename

REDACTED = "[Redacted]"
INDEX_HEADER = ("reference", "version", "section", "field", "passage")


def _version_text(hit: Hit) -> str:
    return str(hit.version) if hit.version else "working copy"


def _redacted(record: StrategyRecord, hits: list[Hit]) -> StrategyRecord:
    """A detached copy of the record whose marked fields read "[Redacted]". From the
    validated document (the one the hits' paths were found in), so every path is there."""
    data = record.content.model_dump(mode="json")
    for hit in hits:
        *parents, last = hit.path
        node = data
        for part in parents:
            node = node[part]
        node[last] = REDACTED
    values = {name: getattr(record, name) for name in (
        "id", "reference", "status", "version", "revision", "team", "created_by_id",
        "created_at", "updated_at", "finalised_at", "sort_at", "led_by",
        "latest_final_version")}
    return StrategyRecord(**values, data=data)


def _pdf(session: Session, user: User, request: Request, record_id: int, version: int | None,
         redact: list[Hit]) -> tuple[str, bytes]:
    record = access.readable(session, user, record_id, request, version)
    after = printed_state(session, record)
    if redact:
        content = pdf_service.render_pdf(_redacted(record, redact), None, after)
    else:
        content = pdf_service.record_pdf(session, record, None, after).content
    name = "-".join([record.reference, f"v{record.version}",
                     *(["DRAFT"] if record.is_editable else []),
                     *(["redacted"] if redact else [])])
    return f"records/{safe_filename(name)}.pdf", content


def cover_html(term: str, user: User, kept: list[Hit], redacted: int, records: int) -> str:
    return templates.get_template("pdf/subject_access.html").render(
        term=term, made_by=user.display_name, hits=kept, redacted=redacted, records=records,
        generated_at=as_text(utc_now()))


def build(session: Session, user: User, request: Request, term: str, found: Found,
          redact: set[str]) -> bytes:
    """The zip's bytes. Renders PDFs: call it from a thread."""
    kept = [h for h in found.hits if h.id not in redact]
    marked = [h for h in found.hits if h.id in redact]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for record_id, version in found.places:
            here = [h for h in marked if (h.record_id, h.version) == (record_id, version)]
            bundle.writestr(*_pdf(session, user, request, record_id, version, here))
        bundle.writestr("index.csv", csv_bytes(INDEX_HEADER, [
            (h.reference, _version_text(h), h.section, h.field, h.passage) for h in kept]))
        cover = cover_html(term, user, kept, len(marked), found.record_count)
        bundle.writestr("cover.pdf", pdf_service.render_html(cover, "subject access cover"))
    return buffer.getvalue()
