"""Get a record's PDF: from the store for a finalised version, otherwise rendered now.

Rendering runs in its own process (app/pdf/worker.py) holding one of the host's render
slots (app/pdf/slots.py), with a time limit: a render that takes too long is killed and its
slot is freed only once the process has gone. Nothing here holds a database connection while
a render runs. A finalised version is rendered in the background as soon as it is finalised,
and stored once, so every download of it is a single indexed read.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from app.clock import utc_now
from app.config import get_settings
from app.db import get_engine
from app.domain.choices import RecordStatus
from app.followup.printed import PrintedState, printed_state
from app.pdf import slots, worker
from app.pdf.models import RenderedPdf
from app.pdf.render import record_html
from app.pdf.worker import RenderFailed, RenderTimeout
from app.records.models import StrategyRecord

__all__ = ["Pdf", "RenderBusy", "RenderFailed", "RenderTimeout", "record_pdf", "render_after_finalise",
           "render_html"]

log = logging.getLogger(__name__)


class RenderBusy(Exception):
    """No render slot came free in time."""


@dataclass(frozen=True)
class Pdf:
    content: bytes
    etag: str
    stored: bool  # true for a finalised version's stored, unchanging bytes


@lru_cache
def _local_workers(workers: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(workers)


def _variant(child_key: str | None, after: PrintedState | None = None) -> str:
    base = "record" if child_key is None else f"child-{child_key}"
    # A later state of the version (authorised, superseded ...) is a variant of its own: the
    # as-finalised bytes are never replaced (app/followup/printed.py).
    return f"{after.key}/{base}" if after and after.key else base


def _etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


def stored_pdf(session: Session, record: StrategyRecord, child_key: str | None,
               after: PrintedState | None = None) -> Pdf | None:
    if record.status == RecordStatus.DRAFT:
        return None
    row = session.exec(
        select(RenderedPdf).where(
            RenderedPdf.record_id == record.id,
            RenderedPdf.version == record.version,
            RenderedPdf.variant == _variant(child_key, after),
        )
    ).first()
    return Pdf(row.content, row.etag, stored=True) if row else None


def render_pdf(record: StrategyRecord, child_key: str | None,
               after: PrintedState | None = None) -> bytes:
    """Render now, in a render process, once a slot is free. Blocks: call it from a thread."""
    return render_html(record_html(record, child_key=child_key, after=after), record.reference)


def render_html(html: str, what: str) -> bytes:
    """Render `html` (built from escaped templates) to PDF in a render process, within the
    host's render slots and the time limit. Blocks: call it from a thread."""
    settings = get_settings()
    limit = settings.pdf_render_timeout_seconds
    local = _local_workers(settings.pdf_render_workers)
    # One deadline for the wait: first for this web worker's own render processes, then for
    # a slot on the host. The render itself then has the whole limit.
    deadline = time.monotonic() + limit
    if not local.acquire(timeout=limit):
        raise RenderBusy(what)
    try:
        with slots.render_slot(settings.pdf_slot_dir, settings.pdf_concurrent_renders,
                               max(0.0, deadline - time.monotonic())):
            content, refused = worker.render(html, limit)
    except slots.NoSlot:
        raise RenderBusy(what) from None
    finally:
        local.release()
    if refused:
        log.warning("The PDF of %s tried to load refused URLs: %s", what, refused)
    return content


def record_pdf(session: Session, record: StrategyRecord, child_key: str | None,
               after: PrintedState | None = None) -> Pdf:
    """The PDF of the record (or one child's copy), stored once the version is final.

    The session's transaction is ended before rendering, so no pooled connection waits on a
    render; the store is a new, short transaction afterwards.
    """
    stored = stored_pdf(session, record, child_key, after)
    if stored:
        return stored
    if after is not None:
        after.read()  # what only a render prints, read before the transaction ends
    session.commit()
    if record.status == RecordStatus.DRAFT:
        content = render_pdf(record, child_key, after)
        return Pdf(content, _etag(content), stored=False)
    # One render of a final version at a time on this host: a download straight after
    # finalising waits for the background render and serves what it stored. Waiting longer
    # than a render may take, it renders anyway (the store keeps the first copy).
    settings = get_settings()
    name = f"{record.id}/{record.version}/{_variant(child_key, after)}"
    with slots.one_render(settings.pdf_slot_dir, name, settings.pdf_render_timeout_seconds):
        stored = stored_pdf(session, record, child_key, after)
        session.commit()
        if stored:
            return stored
        content = render_pdf(record, child_key, after)
        return _store(session, record, child_key, content, after)


def _store(session: Session, record: StrategyRecord, child_key: str | None, content: bytes,
           after: PrintedState | None = None) -> Pdf:
    row = RenderedPdf(record_id=record.id, version=record.version,
                      variant=_variant(child_key, after),
                      etag=_etag(content), content=content, created_at=utc_now())
    try:
        session.add(row)
        session.commit()
    except IntegrityError:
        # Another request stored this version first: serve its bytes, so every download matches.
        session.rollback()
        return stored_pdf(session, record, child_key, after)
    return Pdf(content, row.etag, stored=True)


def render_after_finalise(record: StrategyRecord) -> None:
    """Start rendering a just-finalised (or just-authorised) version in the background;
    returns at once.

    A background render that fails or times out is only logged: the first download then
    renders it as usual.
    """
    if not get_settings().pdf_render_on_finalise:
        return
    threading.Thread(target=_prerender, args=(record.id, record.version),
                     name=f"pdf-prerender-{record.id}", daemon=True).start()


def _prerender(record_id: int, version: int) -> None:
    try:
        with Session(get_engine(), expire_on_commit=False) as session:
            record = session.get(StrategyRecord, record_id)
            if record is None or record.version != version or record.status == RecordStatus.DRAFT:
                return
            children = record.content.children
            # Per-child copies are offered (and so worth rendering ahead) only for several children.
            keys = [None] + ([child.key for child in children] if len(children) > 1 else [])
            after = printed_state(session, record)
            for child_key in keys:
                record_pdf(session, record, child_key, after)
    except (RenderBusy, RenderTimeout, RenderFailed, SQLAlchemyError) as error:
        log.warning("Background render of record %s version %s failed; the first download will "
                    "render it: %r", record_id, version, error)
