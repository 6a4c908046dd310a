"""How fast the outbox is written and delivered: finalising with notifications, and the
worker's delivery rate to a local SMTP server (aiosmtpd, on this machine).

    .venv/bin/python benchmarks/notifications.py [--records 50] [--users-per-agency 4]

Uses a fresh SQLite database in a temporary directory (or DATABASE_URL if set: it must be an
empty, migrated database). Prints the finalise time per record (p50, p95), the notifications
written, and the delivery rate of one worker round.
"""

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--users-per-agency", type=int, default=4)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "NOTIFICATION_WORKER": "false",
                   "PDF_RENDER_ON_FINALISE": "false"}

    from aiosmtpd.controller import Controller
    from sqlmodel import Session

    from app import migrate
    from app.auth.models import User
    from app.db import get_engine
    from app.domain.schema import StrategyRecordData
    from app.followup import lifecycle
    from app.sending import worker
    from tests.builders import complete_record

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Count.received += 1
            return "250 OK"

    migrate.upgrade()
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    with Session(get_engine()) as session:
        now = datetime.now(UTC)
        sw = User(username="bench-sw", display_name="Bench", role="social_worker", team="Central",
                  password_hash="x", created_at=now)
        session.add(sw)
        for agency in ("police", "health_visiting", "csc"):
            for n in range(args.users_per_agency):
                session.add(User(username=f"bench-{agency}-{n}", display_name="P", role="partner",
                                 agency=agency, email=f"{agency}{n}@example.org",
                                 password_hash="x", created_at=now))
        session.commit()
        times = []
        for _ in range(args.records):
            record = lifecycle.create_record(
                session, data=StrategyRecordData.model_validate(complete_record()),
                team="Central", created_by_id=sw.id)
            start = time.perf_counter()
            lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                      finalised_by=sw)
            times.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    delivered = worker.run_once()
    elapsed = time.perf_counter() - start
    controller.stop()
    times.sort()
    print(f"database: {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"finalise with outbox: p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms over {len(times)} records")
    print(f"notifications delivered: {delivered} (server received {Count.received}) in "
          f"{elapsed:.2f} s = {delivered / elapsed:.0f} per second")


if __name__ == "__main__":
    main()
