"""PDF renders in worker processes: killed at the time limit, limited across web workers,
rendered in the background on finalise, and never holding a database connection."""

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app import config, db
from app.pdf import worker
from app.pdf.models import RenderedPdf
from tests.builders import complete_record
from tests.pdf_helpers import slow_render


@pytest.fixture(scope="module", autouse=True)
def fork_server():
    """Started before any test watches for render processes: while it starts, the libraries it
    loads briefly fork helper processes that look like renders."""
    worker.render('<html lang="en"><head><title>start</title></head><body></body></html>', 120)


@pytest.fixture
def settings(monkeypatch, tmp_path):
    """The app's settings, with render slots of this test's own (no other run shares them)."""
    current = config.get_settings()
    monkeypatch.setattr(current, "pdf_slot_dir", tmp_path / "slots")
    return current


def _descendants() -> dict[int, int]:
    """pid -> parent pid of every process below this one (read from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":  # a zombie has stopped already
                parents[int(entry)] = int(fields[1])
    below, frontier = {}, {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        below.update({pid: parents[pid] for pid in frontier})
    return below


def _forked_from_the_fork_server(pid: int) -> bool:
    try:
        return b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def render_processes() -> set[int]:
    """Processes rendering a PDF: those the render fork server (a child of ours) forked.

    Other grandchildren (such as the `ldconfig` WeasyPrint's libraries run while the fork
    server starts) are not renders.
    """
    below = _descendants()
    return {pid for pid, parent in below.items()
            if parent in below and _forked_from_the_fork_server(pid)}


@contextmanager
def watching(sample: Callable[[], object]):
    """Call `sample` every 10 ms in the background; yields the list of what it returned."""
    seen: list = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            seen.append(sample())
            time.sleep(0.01)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def _create(client, body=None) -> dict:
    answer = client.post("/api/strategies", json=body or complete_record())
    assert answer.status_code == 201, answer.text
    return answer.json()


def _finalise(client, record: dict) -> None:
    answer = client.post(f"/api/strategies/{record['id']}/finalise", json={"revision": record["revision"]})
    assert answer.status_code == 200, answer.text


def _stored(record_id: int) -> dict[str, bytes]:
    with Session(db.get_engine()) as session:
        rows = session.exec(select(RenderedPdf).where(RenderedPdf.record_id == record_id)).all()
        return {row.variant: row.content for row in rows}


def test_a_render_over_the_time_limit_answers_503_and_its_process_is_killed(
        client, settings, monkeypatch, caplog):
    record = _create(client)
    _finalise(client, record)
    monkeypatch.setattr(settings, "pdf_render_timeout_seconds", 1.0)
    monkeypatch.setattr(worker, "_child", slow_render(60.0))
    engine = db.get_engine()
    caplog.set_level(logging.DEBUG, logger=worker.__name__)
    with watching(lambda: (render_processes(), engine.pool.checkedout())) as samples:
        answer = client.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 503
    assert "took too long to print" in answer.text
    started = [r.args[0] for r in caplog.records if r.msg == "PDF render process %d started"]
    assert len(started) == 1, "the render ran in one separate process"
    assert not Path(f"/proc/{started[0]}").exists(), "the timed-out render process has been killed"
    assert render_processes() == set()
    rendering = [(pids, connections) for pids, connections in samples if pids]
    assert rendering and set().union(*(pids for pids, _ in rendering)) == set(started)
    # No pooled connection was held while the render ran.
    assert {connections for _, connections in rendering} == {0}
    assert _stored(record["id"]) == {}


def test_concurrent_renders_never_exceed_the_limit(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "pdf_concurrent_renders", 2)
    monkeypatch.setattr(settings, "pdf_render_workers", 4)  # the host-wide limit is the one that binds
    monkeypatch.setattr(settings, "pdf_render_timeout_seconds", 60.0)
    monkeypatch.setattr(worker, "_child", slow_render(0.5))
    draft = _create(client)
    url = f"/strategies/{draft['id']}/record.pdf"
    with watching(lambda: len(render_processes())) as counts, ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: client.get(url), range(5)))
    assert [answer.status_code for answer in answers] == [200] * 5
    assert max(counts) == 2
    assert render_processes() == set()


def test_the_limit_holds_across_web_worker_processes(client, settings, monkeypatch):
    """Another process on the host holding every slot (as another uvicorn worker would)
    makes a download wait, then answer 503 without starting a render."""
    monkeypatch.setattr(settings, "pdf_concurrent_renders", 2)
    monkeypatch.setattr(settings, "pdf_render_timeout_seconds", 1.0)
    draft = _create(client)
    url = f"/strategies/{draft['id']}/record.pdf"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from app.pdf.slots import render_slot\n"
         f"with render_slot(Path({str(settings.pdf_slot_dir)!r}), 2, 5), "
         f"render_slot(Path({str(settings.pdf_slot_dir)!r}), 2, 5):\n"
         "    print('holding', flush=True); sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with watching(render_processes) as seen:
            busy = client.get(url)
        assert busy.status_code == 503
        assert "Too many records are being printed" in busy.text
        assert set().union(*seen) == set(), "no render started without a slot"
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    monkeypatch.setattr(settings, "pdf_render_timeout_seconds", 60.0)
    assert client.get(url).status_code == 200, "the slots are free again once their holder has gone"


def test_finalising_stores_the_pdf_without_any_download(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "pdf_render_on_finalise", True)
    body = complete_record()
    body["children"].append({**body["children"][0], "key": "child2", "name": "Mia Carter"})
    record = _create(client, body)
    _finalise(client, record)
    deadline = time.monotonic() + 60
    while len(_stored(record["id"])) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    stored = _stored(record["id"])
    assert sorted(stored) == ["child-child1", "child-child2", "record"]
    answer = client.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 200
    assert answer.content == stored["record"]


def test_two_downloads_at_once_both_succeed_render_once_and_store_one_row(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "pdf_concurrent_renders", 2)
    monkeypatch.setattr(settings, "pdf_render_workers", 2)
    monkeypatch.setattr(worker, "_child", slow_render(0.5))  # so the two renders overlap
    record = _create(client)
    _finalise(client, record)
    url = f"/strategies/{record['id']}/record.pdf"
    with watching(lambda: len(render_processes())) as counts, ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: client.get(url), range(2))
    assert (first.status_code, second.status_code) == (200, 200)
    assert max(counts) == 1, "the second waited for the first's render"
    stored = _stored(record["id"])
    assert list(stored) == ["record"]
    assert first.content == second.content == stored["record"]
    assert first.headers["etag"] == second.headers["etag"]


def test_a_main_script_is_not_run_again_in_every_render_process(tmp_path):
    """Served by a script (the `uvicorn` command), each render must not re-run that script."""
    runs = tmp_path / "runs.txt"
    script = tmp_path / "serve.py"
    script.write_text(
        "import os\n"
        f"with open({str(runs)!r}, 'a') as runs: runs.write(f'{{os.getpid()}}\\n')\n"
        "from app.pdf import worker\n"
        "if __name__ == '__main__':\n"
        "    for _ in range(3):\n"
        "        worker.render('<html lang=\"en\"><head><title>t</title></head><body>x</body></html>', 120)\n"
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=120,
                   cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONPATH": "."})
    # Once as the main program, once in the fork server; not once more per render.
    assert len(runs.read_text().split()) == 2


def test_a_render_that_fails_answers_503_with_a_clear_page_and_stores_nothing(client, settings, monkeypatch):
    def fail(html, timeout):
        raise worker.RenderFailed("the render process died (exit code -9)")

    monkeypatch.setattr(worker, "render", fail)
    record = _create(client)
    answer = client.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 503
    assert "could not be printed just now" in answer.text
    assert _stored(record["id"]) == {}


def test_a_download_while_the_version_renders_after_finalising_waits_for_that_render(
        client, settings, monkeypatch):
    from types import SimpleNamespace

    from app.pdf import service, slots

    record = _create(client)
    _finalise(client, record)
    rendering, finish, renders = threading.Event(), threading.Event(), []
    real_render = service.render_pdf

    def held_render(*args):
        renders.append(args[0].id)
        rendering.set()
        assert finish.wait(60)
        return real_render(*args)

    waiting = threading.Event()

    def noticed_sleep(seconds):
        waiting.set()  # the download found the render running and waits its turn
        time.sleep(seconds)

    monkeypatch.setattr(service, "render_pdf", held_render)
    monkeypatch.setattr(slots, "time", SimpleNamespace(monotonic=time.monotonic,
                                                       sleep=noticed_sleep))
    with ThreadPoolExecutor(2) as pool:
        background = pool.submit(service._prerender, record["id"], 1)
        assert rendering.wait(60)
        download = pool.submit(client.get, f"/strategies/{record['id']}/record.pdf")
        assert waiting.wait(60)
        finish.set()
        background.result(60)
        answer = download.result(60)
    assert answer.status_code == 200
    assert renders == [record["id"]], "rendered once, by the background render"
    assert answer.content == _stored(record["id"])["record"]
    assert list(settings.pdf_slot_dir.glob("render-*")) == [], "no lock file is left behind"
