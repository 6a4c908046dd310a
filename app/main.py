"""The ASGI app: routers, static files and error pages."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import errors
from app.auth import pages as auth_pages
from app.auth.deps import SignInRequired
from app.db import get_engine
from app.pdf import routes as pdf_routes
from app.records import api, pages
from app.security import SecurityMiddleware

app = FastAPI(
    title="Strategy Record",
    summary="Record multi-agency child-protection strategy discussions.",
    version="0.1.0",
    # The interactive docs pages load scripts from a CDN, which the Content-Security-Policy
    # (and a closed network) forbid; the schema itself is served at /openapi.json.
    docs_url=None,
    redoc_url=None,
)
app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
app.include_router(auth_pages.router)
app.include_router(pages.router)
app.include_router(api.router)
app.include_router(pdf_routes.router)
errors.install(app)
app.add_exception_handler(SignInRequired, auth_pages.sign_in_required)
app.add_middleware(SecurityMiddleware)


@app.get("/healthz", tags=["operations"])
def healthz() -> JSONResponse:
    """Whether the service and its database answer."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JSONResponse({"status": "ok" if status == 200 else "degraded", "database": database},
                        status_code=status)
