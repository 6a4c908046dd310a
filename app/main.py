"""The ASGI app: routers, static files, error pages, the edge checks and /healthz."""

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import logs
from app.auth.deps import SignInRequired
from app.config import get_settings
from app.db import get_health_engine
from app.pdf import worker as pdf_worker
from app.sending import worker as notification_worker
from app.web import (
    auth_pages,
    autosave_pages,
    contribution_pages,
    errors,
    followup_api,
    followup_pages,
    observability,
    oidc_pages,
    pdf_routes,
    record_list_pages,
    requests_api,
    requests_pages,
    retention_pages,
    returns_api,
    returns_pages,
    section_pages,
    sending_pages,
    subject_access_pages,
)
from app.web import links_pages as link_pages
from app.web import organisations_pages as organisation_pages
from app.web import records_api as api
from app.web import records_pages as pages
from app.web import reports_api as report_api
from app.web import reports_pages as report_pages
from app.web.limits import EdgeMiddleware
from app.web.refusals import RefusalLog
from app.web.security import SecurityMiddleware

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(_app: FastAPI):
    settings = get_settings()
    if not logging.getLogger().handlers:  # left alone where someone configured logging already
        logs.configure(settings.log_format)
    # Sync routes run in anyio's worker threads; the database pool is sized to match.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    connections = settings.database_pool_size + settings.pool_overflow
    if connections < settings.worker_threads:
        log.warning("DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW (%d) is less than WORKER_THREADS "
                    "(%d): busy moments will wait for a connection", connections,
                    settings.worker_threads)
    # The PDF fork server loads WeasyPrint once; start it now so no download waits for that.
    threading.Thread(target=pdf_worker.start_fork_server, name="pdf-fork-server", daemon=True).start()
    # The outbox's delivery worker (NOTIFICATION_WORKER); `python -m app worker` runs it alone.
    stop_worker = notification_worker.start_thread() if settings.notification_worker else None
    yield
    if stop_worker is not None:
        stop_worker.set()


app = FastAPI(
    title="Strategy Record",
    summary="Record multi-agency child-protection strategy discussions.",
    version="0.1.0",
    # The interactive docs pages load scripts from a CDN, which the Content-Security-Policy
    # (and a closed network) forbid; the schema itself is served at /openapi.json.
    docs_url=None,
    redoc_url=None,
    lifespan=lifespan,
)
app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
app.include_router(auth_pages.router)
app.include_router(record_list_pages.router)
app.include_router(oidc_pages.router)
app.include_router(observability.router)
app.include_router(pages.router)
app.include_router(section_pages.router)
app.include_router(autosave_pages.router)
app.include_router(api.router)
app.include_router(followup_pages.router)
app.include_router(followup_api.router)
app.include_router(pdf_routes.router)
app.include_router(requests_pages.router)
app.include_router(requests_api.router)
app.include_router(sending_pages.router)
app.include_router(report_pages.router)
app.include_router(report_api.router)
app.include_router(organisation_pages.router)
app.include_router(link_pages.router)
app.include_router(contribution_pages.router)
app.include_router(retention_pages.router)
app.include_router(subject_access_pages.router)
app.include_router(returns_pages.router)
app.include_router(returns_api.router)
errors.install(app)  # also installs CatchErrors, innermost of our middleware
app.add_exception_handler(SignInRequired, auth_pages.sign_in_required)
app.add_middleware(RefusalLog)  # sees every answer our handlers gave, after CatchErrors
app.add_middleware(EdgeMiddleware)
app.add_middleware(SecurityMiddleware)  # every answer carries the headers
app.add_middleware(observability.RequestObservation)  # outermost: a request id, metrics, a log line

# Health checks have threads of their own: they answer even when every worker thread is busy.
_health_threads = anyio.CapacityLimiter(2)


@app.get("/healthz", tags=["operations"])
async def healthz() -> JSONResponse:
    """Whether the service and its database answer, and the database's migration revision."""
    migration, database = None, "unavailable"
    # The query has its own short database time limits; this bounds the wait for a thread too.
    with anyio.move_on_after(get_settings().health_check_timeout_seconds + 1):
        migration, database = await anyio.to_thread.run_sync(
            _migration_revision, limiter=_health_threads, abandon_on_cancel=True)
    ok = database == "ok"
    return JSONResponse({"status": "ok" if ok else "degraded", "database": database,
                         "migration": migration}, status_code=200 if ok else 503)


def _migration_revision() -> tuple[str | None, str]:
    try:
        with get_health_engine().connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return revision, "ok"
    except SQLAlchemyError as error:
        log.error("Health check: database unavailable: %s", error)
        return None, "unavailable"
