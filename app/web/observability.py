"""Watching the service run: a request id and one JSON log line per request, the Prometheus
endpoint (/metrics) and the readiness check (/readyz).

/metrics answers only with "Authorization: Bearer <METRICS_TOKEN>" (and not at all while the
setting is unset). The outbox's depth and age and the database pool are read when Prometheus
scrapes, so they are never stale. /readyz is for a load balancer or orchestrator: the database
answers, its migrations are at this code's head, and the delivery worker finished a round
recently; /healthz (app/main.py) only says the process is alive.
"""

import hmac
import logging
import time

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app import db, logs, metrics
from app.asgi import HttpMiddleware
from app.clock import as_utc, utc_now
from app.config import get_settings
from app.db import count_statements, get_engine, get_health_engine
from app.sending.models import Notification, WorkerHeartbeat
from app.sending.worker import HEARTBEAT

log = logging.getLogger("app.access")
router = APIRouter(include_in_schema=False)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The matched route's template, so one series stands for every record's page."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    if scope["path"].startswith("/static/"):
        return "/static"
    return "unmatched"


class RequestObservation(HttpMiddleware):
    """Outermost: sees every answer, the edge's refusals included."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = logs.request_id_from(Headers(scope=scope).get("x-request-id"))
        context = logs.set_request_id(request_id)
        started, status = time.perf_counter(), 500
        statements = count_statements()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_template(scope)
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(elapsed)
            user = _user_id(scope.get("state", {}).get("user"))
            # The route's template, never the raw path or query: a personal link's secret is
            # in its path, and searches (children's names) are in queries.
            log.info("%s %s %d", method, route, status, extra={
                "event": "request", "request_id": request_id, "method": method, "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 1), "statements": statements[0],
                "user_id": user})
            logs.reset_request_id(context)


def _user_id(user) -> int | None:
    """The signed-in person's id from the identity map: their row may be expired and its
    session closed by now (reading `user.id` would then go back to the database, and fail)."""
    if user is None:
        return None
    identity = sa_inspect(user).identity
    return identity[0] if identity else None


class DatabaseCollector:
    """The outbox and the database pool, read at each scrape."""

    def describe(self):
        return []  # registering must not read the database (there may be none yet)

    def collect(self):
        pool = get_engine().pool
        if all(callable(getattr(pool, name, None)) for name in ("size", "checkedout", "overflow")):
            yield GaugeMetricFamily("strategy_record_db_pool_size",
                                    "Connections the pool keeps open", value=pool.size())
            yield GaugeMetricFamily("strategy_record_db_pool_checked_out", "Connections in use",
                                    value=pool.checkedout())
            # SQLAlchemy counts up from -size while the pool fills; only the excess is overflow.
            yield GaugeMetricFamily("strategy_record_db_pool_overflow",
                                    "Connections open beyond the pool's size", value=max(0, pool.overflow()))
        up = GaugeMetricFamily("strategy_record_metrics_database_up",
                               "Whether the outbox could be read for this scrape")
        try:
            depth, oldest = _outbox()
        except SQLAlchemyError as error:
            logging.getLogger(__name__).warning("Metrics: outbox not read: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("strategy_record_outbox_depth",
                                "Notifications not yet delivered (pending or being sent)", value=depth)
        yield GaugeMetricFamily("strategy_record_outbox_oldest_age_seconds",
                                "Age of the oldest notification not yet delivered (0: none)",
                                value=oldest)


def _outbox() -> tuple[int, float]:
    # Read through the status index: only undelivered rows, normally a handful.
    with get_engine().connect() as connection:
        depth, created = connection.execute(
            select(func.count(), func.min(Notification.created_at))
            .where(Notification.status.in_(("pending", "sending")))).one()
    if created is None:
        return depth, 0.0
    created = as_utc(created)
    return depth, max(0.0, (utc_now() - created).total_seconds())


REGISTRY.register(DatabaseCollector())


@router.get("/metrics")
def prometheus(request: Request) -> Response:
    token = get_settings().metrics_token
    if not token:
        raise HTTPException(404, "Metrics are off: set METRICS_TOKEN")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return JSONResponse({"detail": "Send 'Authorization: Bearer <METRICS_TOKEN>'"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


# /readyz has threads of its own, as /healthz does: it answers when every worker thread is busy.
_ready_threads = anyio.CapacityLimiter(2)


head_revision = db.head_revision


@router.get("/readyz", tags=["operations"])
async def readyz() -> JSONResponse:
    """Ready for traffic: the database answers, migrations are at head, the worker is running."""
    answer = {"database": "unavailable"}
    with anyio.move_on_after(get_settings().health_check_timeout_seconds + 1):
        answer = await anyio.to_thread.run_sync(_readiness, limiter=_ready_threads,
                                                abandon_on_cancel=True)
    ready = answer.get("database") == "ok" and answer.get("migrations") == "at head" \
        and answer.get("worker") == "ok"
    return JSONResponse({"status": "ready" if ready else "not ready", **answer},
                        status_code=200 if ready else 503)


def _readiness() -> dict:
    head = head_revision()
    try:
        with get_health_engine().connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            beat_at = connection.execute(select(WorkerHeartbeat.beat_at).where(
                WorkerHeartbeat.name == HEARTBEAT)).scalar()
    except SQLAlchemyError as error:
        logging.getLogger(__name__).error("Readiness: database unavailable: %s", error)
        return {"database": "unavailable"}
    answer = {"database": "ok", "migration": revision,
              "migrations": "at head" if revision == head else f"behind (head is {head})"}
    if beat_at is None:
        return {**answer, "worker": "never ran"}
    age = (utc_now() - (as_utc(beat_at))).total_seconds()
    late = age > get_settings().worker_heartbeat_max_age_seconds
    return {**answer, "worker": "late" if late else "ok", "worker_heartbeat_age_seconds": round(age, 1)}
