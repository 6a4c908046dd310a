"""Get a record's PDF: from the store for a finalised version, otherwise rendered now.

Rendering runs in a worker thread with a time limit, so a slow render never stalls other
requests; a render that times out is abandoned and nothing is stored.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import anyio
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import get_settings
from app.pdf.models import RenderedPdf
from app.pdf.render import render_record_pdf
from app.records.choices import RecordStatus
from app.records.models import StrategyRecord


class RenderTimeout(Exception):
    """The render took longer than the configured limit."""


@dataclass(frozen=True)
class Pdf:
    content: bytes
    etag: str
    stored: bool  # true for a finalised version's stored, unchanging bytes


@lru_cache
def _render_slots() -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(get_settings().pdf_concurrent_renders)


def _variant(child_key: str | None) -> str:
    return "record" if child_key is None else f"child-{child_key}"


def _etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


def stored_pdf(session: Session, record: StrategyRecord, child_key: str | None) -> Pdf | None:
    if record.status == RecordStatus.DRAFT:
        return None
    row = session.exec(
        select(RenderedPdf).where(
            RenderedPdf.record_id == record.id,
            RenderedPdf.version == record.version,
            RenderedPdf.variant == _variant(child_key),
        )
    ).first()
    return Pdf(row.content, row.etag, stored=True) if row else None


async def render_pdf(record: StrategyRecord, child_key: str | None) -> bytes:
    try:
        with anyio.fail_after(get_settings().pdf_render_timeout_seconds):
            return await anyio.to_thread.run_sync(
                lambda: render_record_pdf(record, child_key=child_key),
                abandon_on_cancel=True,
                limiter=_render_slots(),
            )
    except TimeoutError:
        raise RenderTimeout(record.reference) from None


async def record_pdf(session: Session, record: StrategyRecord, child_key: str | None) -> Pdf:
    """The PDF of the record (or one child's copy), stored once the version is final."""
    stored = stored_pdf(session, record, child_key)
    if stored:
        return stored
    content = await render_pdf(record, child_key)
    if record.status == RecordStatus.DRAFT:
        return Pdf(content, _etag(content), stored=False)
    row = RenderedPdf(record_id=record.id, version=record.version, variant=_variant(child_key),
                      etag=_etag(content), content=content, created_at=datetime.now(UTC))
    try:
        session.add(row)
        session.commit()
    except IntegrityError:
        # Another request stored this version first: serve its bytes, so every download matches.
        session.rollback()
        return stored_pdf(session, record, child_key)
    return Pdf(content, row.etag, stored=True)
