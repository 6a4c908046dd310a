"""The service's Prometheus metrics, defined once; app/web/observability.py serves them.

Requests are labelled by route template ("/strategies/{record_id}"), never by the raw path,
so the number of series stays fixed however many records there are.
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("strategy_record_http_requests", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("strategy_record_http_request_duration_seconds",
                    "Time to answer an HTTP request", ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SIGN_IN_FAILURES = Counter("strategy_record_sign_in_failures",
                           "Sign-ins refused (wrong password, throttled, or refused at the "
                           "identity provider's callback)", ["method"])
RENDER_SECONDS = Histogram("strategy_record_pdf_render_seconds", "Time to render a record's PDF",
                           buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60))
RENDERS_WAITING = Gauge("strategy_record_pdf_renders_waiting",
                        "Renders in this process waiting for a render slot")
RENDERS_RUNNING = Gauge("strategy_record_pdf_renders_running",
                        "Renders in this process holding a render slot")
