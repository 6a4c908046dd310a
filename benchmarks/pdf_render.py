"""Measure the printed record: render times, endpoint overhead, parallel renders, cached
downloads, memory.

Run: .venv/bin/python benchmarks/pdf_render.py   (uses a throwaway SQLite database)
Targets: endpoint <= 1.3x direct WeasyPrint; two renders at once take ~1x one render (on 2+
cores, PDF_CONCURRENT_RENDERS >= 2); cached download p50 <= 10 ms; one render's peak memory
<= 200 MB.
"""

import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.db"

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app import migrate  # noqa: E402
from app.auth import service as auth_service  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.domain.schema import uk_now  # noqa: E402
from app.main import app  # noqa: E402
from app.organisations import accounts  # noqa: E402
from app.pdf import worker  # noqa: E402
from app.pdf.models import RenderedPdf  # noqa: E402
from app.pdf.render import html_to_pdf, record_html  # noqa: E402
from app.records.service import get_record  # noqa: E402
from app.rules.workdays import add_working_days  # noqa: E402

AGENCIES = ["csc", "police", "gp", "health_visiting", "midwifery", "hospital", "school",
            "early_years", "housing", "probation"]
PARAGRAPH = ("Mother described the evening in detail and the social worker noted her account; the "
             "police officer added what was seen at the address and what neighbours reported. ")


def record_body(*, participants: int, children: int, actions: int, paragraphs: int) -> dict:
    at = (uk_now() - timedelta(days=3)).replace(hour=10, minute=0)
    day = at.date()
    text = PARAGRAPH * paragraphs
    return {
        "header": {"concern_at": (at - timedelta(hours=4)).isoformat(), "discussion_at": at.isoformat(),
                   "format": "mixed", "sequence": "first", "led_by": "day_team",
                   "chair": "Priya Shah", "minute_taker": "Tom Reed", "requested_by": "school"},
        "children": [{"key": f"c{i}", "name": f"Child {i} Carter", "date_of_birth": "2018-05-01",
                      "communication": "verbal", "seen": "yes", "seen_at": at.isoformat(),
                      "seen_by": "Social worker", "voice": text or "Said they were fine."}
                     for i in range(children)],
        "grounds": {"summary": text or "Bruising.", "source": "School", "categories": ["physical"]},
        "participants": [{"name": f"Person {i}", "agency": AGENCIES[i % len(AGENCIES)],
                          "role": "Practitioner", "mode": "phone_outside" if i % 3 else "in_person",
                          "phone": "01632 960 000", "email": f"p{i}@example.org",
                          "contributed_at": at.isoformat()} for i in range(participants)],
        "agency_positions": [{"agency": a, "position": "has_concerns",
                              "concerns": (PARAGRAPH if paragraphs else "Concerns.")} for a in AGENCIES],
        "analysis": {"history": text, "risks": text, "strengths": text},
        "decision": {"outcome": "s47_joint", "reasons": text or "Reasons."},
        "actions": [{"kind": "update_agencies", "due_date": str(day + timedelta(days=5))}] + [
            {"description": f"Action {i}", "owner": "SW", "due_date": str(day)} for i in range(actions - 1)],
        "next_steps": {"icpc_date": str(add_working_days(day, 10))},
        "distribution": AGENCIES,
    }


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def peak_memory_mb(record_id: int) -> tuple[float, float]:
    """Peak RSS of a fresh process that renders once, and its growth over the RSS before."""
    code = (
        "from sqlmodel import Session; from app.db import get_engine;"
        "from app.records.service import get_record; from app.pdf.render import html_to_pdf, record_html;"
        "status = lambda key: int(next(l for l in open('/proc/self/status') if l.startswith(key)).split()[1]);"
        f"s = Session(get_engine()); r = get_record(s, {record_id}); r.content;"
        "before = status('VmRSS:'); html_to_pdf(record_html(r)); print(before, status('VmHWM:'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    before_kb, peak_kb = (int(x) for x in out)
    return peak_kb / 1024, (peak_kb - before_kb) / 1024


def _stored(record_id: int) -> bool:
    with Session(get_engine()) as session:
        return session.exec(select(RenderedPdf).where(RenderedPdf.record_id == record_id)).first() is not None


def _at_once(n: int, fn) -> None:
    with ThreadPoolExecutor(n) as pool:
        for future in [pool.submit(fn) for _ in range(n)]:
            future.result()


def main() -> None:
    migrate.upgrade()
    client = TestClient(app)
    with Session(get_engine()) as session:
        user = accounts.create_user(session, username="bench", display_name="Bench",
                                    role=Role.SOCIAL_WORKER, password="benchmark-password",
                                    team="Central")
        _, secret = auth_service.create_token(session, user, "benchmark")
    client.headers["Authorization"] = f"Bearer {secret}"
    # Cached downloads are timed against a real server: the in-process test client's own
    # thread hops cost more than the endpoint does.
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300,
                          headers={"Authorization": f"Bearer {secret}"})
    _wait_for(server)
    try:
        _measure(client, server)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(server: httpx.Client) -> None:
    for _ in range(100):
        try:
            server.get("/healthz")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _measure(client: TestClient, server: httpx.Client) -> None:
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    cases = {
        "typical (10 participants, 10 agencies, 2 children, 10 actions)":
            record_body(participants=10, children=2, actions=10, paragraphs=0),
        "long (40 participants, 3 children, 20 actions, long narrative)":
            record_body(participants=40, children=3, actions=20, paragraphs=26),
    }

    for label, body in cases.items():
        created = client.post("/api/strategies", json=body).json()
        record_id = created["id"]
        url = f"/strategies/{record_id}/record.pdf"
        content = client.get(url).content  # warm up fonts and templates
        pages = len(PdfReader(io.BytesIO(content)).pages)
        with Session(get_engine()) as session:
            record = get_record(session, record_id)
            html = record_html(record)
            direct = timed(lambda html=html: html_to_pdf(html), 5)
            one = timed(lambda html=html: worker.render(html, 300), 5)
            two = timed(lambda html=html: _at_once(2, lambda: worker.render(html, 300)), 3)
            # The same two renders in threads of one process (how renders ran before): the GIL.
            threads_two = timed(lambda html=html: _at_once(2, lambda: html_to_pdf(html)), 3)
        endpoint = timed(lambda url=url: server.get(url), 5)
        endpoint_two = timed(lambda url=url: _at_once(2, lambda: server.get(url)), 3)
        d, e = statistics.median(direct), statistics.median(endpoint)
        p1, p2 = statistics.median(one), statistics.median(two)
        e2 = statistics.median(endpoint_two)
        print(f"{label}: {pages} pages")
        print(f"  direct WeasyPrint render  median {d * 1000:7.0f} ms (in this process)")
        print(f"  one render process        median {p1 * 1000:7.0f} ms")
        print(f"  two render processes at once {p2 * 1000:7.0f} ms   ratio {p2 / p1:.2f} (target ~1)")
        t2 = statistics.median(threads_two)
        print(f"  two renders in threads at once {t2 * 1000:5.0f} ms   ratio {t2 / d:.2f} (for comparison)")
        print(f"  endpoint over HTTP (draft) median {e * 1000:7.0f} ms   ratio {e / d:.2f} (target <= 1.3)")
        print(f"  two downloads at once (draft)  {e2 * 1000:7.0f} ms   ratio {e2 / e:.2f} (target ~1)")

        finalised_at = time.perf_counter()
        # Finalising renders the PDF in the background.
        client.post(f"/api/strategies/{record_id}/finalise", json={"revision": created["revision"]})
        while not _stored(record_id):
            time.sleep(0.05)
        print(f"  stored by the background render {time.perf_counter() - finalised_at:6.2f} s after finalise")
        cached = sorted(timed(lambda url=url: server.get(url), 50))
        print(f"  cached download over HTTP p50 {cached[len(cached) // 2] * 1000:6.2f} ms, "
              f"p95 {cached[int(len(cached) * 0.95)] * 1000:6.2f} ms (target p50 <= 10 ms)")
        total, growth = peak_memory_mb(record_id)
        print(f"  one render: process peak {total:.0f} MB, of which the render added {growth:.0f} MB "
              "(target <= 200 MB)")


if __name__ == "__main__":
    main()
