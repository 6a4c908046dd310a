"""Settings from the environment; local partnership limits live here, not in code."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # The database: a SQLAlchemy URL, SQLite or PostgreSQL (postgresql+psycopg://...).
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'strategy.db'}"
    # Working days allowed between the strategy discussion and the initial child
    # protection conference (Working Together: 15).
    icpc_working_days: int = 15
    # The returns (issue 24): what the local case-management system calls a child's person ID
    # ("Mosaic ID", "LCS ID" ...), and the working days after its start by which a section 47
    # enquiry still open is listed on the manager's page.
    person_id_label: str = Field("LCS ID", min_length=1, max_length=40)
    s47_open_limit_working_days: int = Field(45, ge=1)
    # Working days by which the day team must review an EDT-led discussion.
    edt_review_working_days: int = 1
    # Gestation (weeks) by which a pre-birth conference must be held.
    prebirth_conference_by_weeks: int = 34
    # Age range (years) at which a child is expected to be at school, for the
    # "check with school before no further action" rule.
    school_age_from: int = 5
    school_age_to: int = 16
    # Expected delivery dates further than this many days in the past are refused.
    edd_past_limit_days: int = 60
    # A gestation (weeks) over this is refused.
    max_gestation_weeks: int = 45
    # A child younger than this (years, from their date of birth) cannot speak for themselves:
    # their experience is recorded from what was observed, whatever communication is chosen.
    cannot_speak_under_years: int = 2
    # Working days within which social care triages a request for a strategy discussion.
    request_triage_working_days: int = 1
    # The local policy on digital images of injuries, named where images were taken by
    # anyone but medical staff.
    local_images_policy: str = "the local safeguarding partnership's digital images policy"
    # Sign-in sessions: absolute lifetime and idle timeout.
    session_max_hours: int = 12
    session_idle_minutes: int = 30
    # Failed sign-ins allowed per account and per address within the window.
    sign_in_max_failures_per_account: int = 5
    sign_in_max_failures_per_address: int = 20
    sign_in_window_minutes: int = 15
    # Password hashes (Argon2, about 64 MiB each while it runs) allowed at once in one process,
    # and how long a sign-in waits for a turn before it is answered 429 with Retry-After.
    password_hash_concurrency: int = Field(2, ge=1)
    password_hash_wait_seconds: float = Field(5.0, ge=0)
    # A PDF render that takes longer than this is abandoned with a clear error page.
    pdf_render_timeout_seconds: float = 30.0
    # Renders allowed at once on this host, across all web worker processes (each one keeps
    # a core busy). With several hosts behind a load balancer the limit is per host.
    pdf_concurrent_renders: int = Field(2, ge=1)
    # Render processes one web worker process runs at once (each render is its own process);
    # by default one per CPU core.
    pdf_render_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # Where the render slots' lock files live: every web worker on the host must see the same
    # directory (and it must be on a local file system, where flock works).
    pdf_slot_dir: Path = PROJECT_ROOT / "data" / "pdf-slots"
    # Render a version's PDF in the background as soon as it is finalised, so even the first
    # download is a stored read.
    pdf_render_on_finalise: bool = True
    # Largest request body accepted (JSON and forms), refused with 413 before it is parsed.
    max_body_bytes: int = 1024 * 1024
    # Repeats of the same refusal or failed sign-in (same action, address, username and
    # detail) within this many seconds add to one audit row's count instead of a new row.
    audit_repeat_window_seconds: int = 60
    # Threads for sync routes and other blocking work (anyio's default limiter).
    worker_threads: int = 40
    # Database time limits: opening a connection, one statement (PostgreSQL), and waiting for
    # a free connection from the pool.
    database_connect_timeout_seconds: float = 3.0
    database_statement_timeout_seconds: float = 15.0
    database_pool_timeout_seconds: float = 10.0
    # PostgreSQL, from the client's side (a hung server still answers TCP): a pooled
    # connection is pinged before use and given up after the ping limit; any other wait for an
    # answer gives up after the read limit (left unset: the statement limit and 5 s more, so
    # the server's own statement timeout normally ends a slow statement first). Idle
    # connections are probed with TCP keepalives after this many seconds.
    database_ping_timeout_seconds: float = Field(1.0, gt=0)
    database_read_timeout_seconds: float | None = Field(None, gt=0)
    database_keepalive_seconds: int = Field(10, ge=1)
    # Connections kept open, and extra ones allowed at busy times. Left unset, the overflow is
    # sized so that every worker thread can hold a connection at once.
    database_pool_size: int = 10
    database_max_overflow: int | None = None
    # /healthz gives up on the database after this long (and at most a second more) and
    # answers 503.
    health_check_timeout_seconds: float = 2.0
    # Whether a manager may authorise a version they took part in: chaired, minuted, were a
    # participant in, started, saved or finalised (app/followup/separation.py). Off by
    # default: authorisation is a second pair of eyes.
    authoriser_may_have_taken_part: bool = False
    # Working days after a further strategy discussion is cancelled by which CSC must tell
    # every agency involved of the cancellation and its reasons.
    cancellation_update_working_days: int = Field(1, ge=0)
    # Working days after the discussion offered as the date by which CSC updates all agencies
    # (the fixed action's date, filled in on the actions form when empty; the user can change it).
    update_agencies_working_days: int = Field(5, ge=0)
    # Working days after the discussion by which CSC tells a named referrer the outcome (an
    # action in the tracker, overdue after it, when the record does not say they were told).
    referrer_feedback_working_days: int = Field(3, ge=0)
    # Working days after the discussion by which CSC considers a strategy discussion of their
    # own for a child alleged to have caused harm (an action in the tracker).
    other_child_discussion_working_days: int = Field(1, ge=0)
    # Days after its discussion (or its start, if undated) after which a draft never finalised
    # is counted apart on the manager's page: a record nobody has sent.
    draft_stale_days: int = Field(7, ge=1)

    # Sending the record (app/sending). When it goes to the agencies on its distribution
    # list: as soon as it is finalised, or only once a manager authorises it.
    send_on: Literal["finalise", "authorise"] = "finalise"
    # Email notifications by SMTP. With no SMTP_HOST they are written to the log instead (and
    # shown on the outbox page as "logged").
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "strategy-record@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    # The address people use to reach the service: the emails' links start with it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Run the delivery worker in a thread of each app process (off: run `python -m app worker`).
    notification_worker: bool = True
    # Delivery attempts before a notification is marked failed; the wait before the n-th retry
    # is NOTIFICATION_RETRY_SECONDS * 2**(n-1).
    notification_max_attempts: int = Field(5, ge=1)
    notification_retry_seconds: float = Field(60.0, ge=0)
    # How often the worker looks for due notifications.
    notification_poll_seconds: float = Field(5.0, gt=0)
    # A worker's lease on the notification it is sending. One claimed this long ago and never
    # finished (its worker stopped) is claimed again and re-sent, the same Message-ID marking
    # a possible duplicate. Keep it longer than a send can take (several SMTP timeouts).
    notification_claim_timeout_seconds: float = Field(300.0, gt=0)
    # Working days after sending by which each agency should have opened the record (else the
    # manager sees it flagged).
    receipt_working_days: int = Field(1, ge=0)
    # Timeliness: the discussion within this many working days of the concern (a warning after
    # the second number), and the record sent within this many working days of the discussion.
    discussion_within_working_days: int = Field(3, ge=0)
    discussion_warn_after_working_days: int = Field(1, ge=0)
    send_within_working_days: int = Field(1, ge=0)

    # Reading without an account (app/links): a personal link lasts this many days after the
    # version is sent; a one-time code this many minutes after it is sent, for this many
    # tries; the session a correct code opens, this many minutes.
    link_expiry_days: int = Field(30, ge=1)
    link_code_minutes: int = Field(10, ge=1)
    link_code_max_tries: int = Field(5, ge=1)
    link_session_minutes: int = Field(30, ge=1)
    # Codes asked for per recipient address and per client address, and wrong codes per
    # client address, within the window; more are refused until it passes.
    link_code_requests_per_recipient: int = Field(5, ge=1)
    link_code_requests_per_address: int = Field(20, ge=1)
    link_code_failures_per_address: int = Field(20, ge=1)
    link_throttle_window_minutes: int = Field(15, ge=1)

    # Signing in at the council's identity provider (OpenID Connect, app/identity/oidc.py): off
    # while OIDC_ISSUER is unset. Its discovery document is OIDC_ISSUER +
    # /.well-known/openid-configuration; the callback is PUBLIC_BASE_URL + /sign-in/oidc/callback.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile email"
    oidc_button_label: str = "Sign in with your council account"
    # The ID token claim that lists the person's groups, and what each group makes them, as
    # JSON: {"group": {"role": "social_worker", "team": "Central"}, "police": {"role":
    # "partner", "organisation_id": 3}, ...}. The first entry (in this order) whose group the
    # person is in decides; someone in none of them is refused.
    oidc_groups_claim: str = "groups"
    oidc_group_map: dict[str, dict[str, str | int]] = {}
    # Seconds of clock difference allowed when checking an ID token's times.
    oidc_clock_leeway_seconds: int = Field(60, ge=0)
    # Sign-in with a username and password (the embedded default administrator, the demo).
    # Off: only the identity provider signs people in.
    local_passwords: bool = True
    # GET /metrics (Prometheus) needs "Authorization: Bearer <METRICS_TOKEN>"; unset, it is off.
    metrics_token: str | None = None
    # One JSON object per log line ("json"), or Python's plain text ("text").
    log_format: Literal["json", "text"] = "json"
    # /readyz fails when the delivery worker's last round finished longer ago than this.
    worker_heartbeat_max_age_seconds: float = Field(120.0, gt=0)
    # Retention (app/retention): a record is due for deletion once the youngest child reaches
    # RETENTION_CHILD_AGE_YEARS ("youngest_child"), or RETENTION_YEARS_AFTER_LAST_CHANGE years
    # after the record last changed ("after_last_change"), or only when both have passed
    # ("later_of_both"), as the authority's retention schedule sets.
    retention_rule: Literal["youngest_child", "after_last_change", "later_of_both"] = (
        "youngest_child")
    retention_child_age_years: int = Field(25, ge=1, le=150)
    retention_years_after_last_change: int = Field(25, ge=1, le=150)

    @property
    def database_read_timeout(self) -> float:
        if self.database_read_timeout_seconds is not None:
            return self.database_read_timeout_seconds
        return self.database_statement_timeout_seconds + 5

    @property
    def pool_overflow(self) -> int:
        if self.database_max_overflow is not None:
            return self.database_max_overflow
        # Headroom beyond the threads for the few sessions opened outside a worker thread's
        # request (middleware audit writes, held forms).
        return max(0, self.worker_threads + 5 - self.database_pool_size)


@lru_cache
def get_settings() -> Settings:
    return Settings()
