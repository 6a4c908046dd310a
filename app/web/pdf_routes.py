"""Download the printed record (whole, or one child's copy).

The routes are plain `def`: FastAPI runs them in its threadpool, so the database calls and
the wait for a render process never block the event loop.
"""

import logging
import re
import unicodedata

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.auth import audit
from app.auth.deps import PageUser
from app.deps import SessionDep
from app.followup.printed import printed_state
from app.pdf import service as pdf_service
from app.records import service as records_service
from app.web import access

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

TOO_SLOW = ("The record took too long to print. Try again in a minute; if it keeps happening, "
            "tell the service desk which record it was.")
FAILED = ("The record could not be printed just now. Try again in a minute; if it keeps happening, "
          "tell the service desk which record it was.")
TOO_BUSY = ("Too many records are being printed at the moment. Try again in a minute; if it keeps "
            "happening, tell the service desk.")


def _download(request: Request, session, user, record_id: int, child_key: str | None,
              version: int | None = None):
    # Partners get only versions sent to their organisation, never an amendment's draft;
    # earlier versions come from their snapshots, printed with what happened since.
    # A stored PDF of the whole record is served without reading the document; one to render
    # (or a child's copy, which reads the children) is checked first, so a damaged document
    # is flagged, as any read of it is (and answers 409).
    record = access.readable(session, user, record_id, request, version,
                             checked=child_key is not None)
    if child_key is not None and child_key not in {c.key for c in record.content.children}:
        raise HTTPException(status_code=404, detail="No such child in this record")
    state = printed_state(session, record)
    try:
        pdf = pdf_service.stored_pdf(session, record, child_key, state)
        if pdf is None:
            records_service.get_record(session, record.id)
            pdf = pdf_service.record_pdf(session, record, child_key, state)
    except pdf_service.RenderTimeout:
        raise HTTPException(status_code=503, detail=TOO_SLOW) from None
    except pdf_service.RenderBusy:
        raise HTTPException(status_code=503, detail=TOO_BUSY) from None
    except pdf_service.RenderFailed as failure:
        log.error("Printing %s failed: %s", record.reference, failure)
        raise HTTPException(status_code=503, detail=FAILED) from None
    # The receipt before the audit row, so the audit row's commit ends the request's one
    # transaction (a partner's later downloads write nothing: their sight says so).
    access.note_downloaded(session, user, record, request)  # a partner's first
    audit.log(session, "downloaded", user=user, record_id=record.id,
              detail=f"version {record.version}" + (f", child {child_key}" if child_key else ""),
              request=request)
    etag = f'"{pdf.etag}"'
    headers = {
        "ETag": etag,  # Cache-Control: no-store, as on every page (app/web/security.py)
        "Content-Disposition": f'attachment; filename="{_filename(record, child_key)}"',
        "X-Content-Type-Options": "nosniff",
    }
    if pdf.stored and request.headers.get("If-None-Match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(pdf.content, media_type="application/pdf", headers=headers)


def _filename(record, child_key: str | None) -> str:
    """What the file is, in its name: SR-2026-00002-v1-DRAFT.pdf, SR-2026-00002-v1-Amelia.pdf."""
    parts = [record.reference, f"v{record.version}"]
    if child_key is not None:
        data = record.content
        child = next(c for c in data.children if c.key == child_key)
        parts.append(data.child_title(child))
    if record.is_editable:
        parts.append("DRAFT")
    return safe_filename("-".join(parts)) + ".pdf"


def safe_filename(text: str) -> str:
    """Letters, digits and hyphens only (ASCII, so every file system and mail client keeps it)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:120] or "record"


@router.get("/strategies/{record_id}/record.pdf")
def record_pdf(request: Request, record_id: int, session: SessionDep, user: PageUser):
    return _download(request, session, user, record_id, None)


@router.get("/strategies/{record_id}/children/{child_key}/record.pdf")
def child_record_pdf(request: Request, record_id: int, child_key: str, session: SessionDep,
                     user: PageUser):
    return _download(request, session, user, record_id, child_key)


@router.get("/strategies/{record_id}/versions/{version}/record.pdf")
def version_record_pdf(request: Request, record_id: int, version: int, session: SessionDep,
                       user: PageUser):
    """An earlier (or the current) finalised version, as finalised; a superseded one says so."""
    return _download(request, session, user, record_id, None, version)
