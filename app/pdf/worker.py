"""Render PDFs in separate processes, so renders run in parallel and a slow one can be killed.

Each render gets its own process, forked from a `multiprocessing` fork server that has already
imported WeasyPrint (forking the fork server, never the threaded web process, is safe, and
costs milliseconds rather than a fresh interpreter's second). When the render ends or is killed
the process exits, so its memory goes back to the system and nothing leaks between records.
The child gets only the HTML to print; it never sees the database.
"""

import logging
import multiprocessing
import os
import traceback
from functools import lru_cache
from multiprocessing import spawn

from app.pdf.fetcher import AssetsOnlyFetcher
from app.pdf.render import html_to_pdf

log = logging.getLogger(__name__)

class RenderTimeout(Exception):
    """The render took longer than the limit; its process has been killed."""


class RenderFailed(Exception):
    """The render process failed (WeasyPrint raised, or the process died)."""


# Tells the fork server which script is the web process's main module (see app/pdf/warm_up.py).
MAIN_PATH_VARIABLE = "STRATEGY_RECORD_PDF_MAIN_PATH"


@lru_cache
def _context():
    context = multiprocessing.get_context("forkserver")
    # Python 3.11's own "__main__" preload never reaches the fork server (it looks for a key
    # that get_preparation_data() does not produce), so a main *script* (the `uvicorn`
    # command, a benchmark) would be re-run in every render process. warm_up.py loads it in
    # the fork server instead, once; `python -m ...` mains are never re-run anyway.
    main_path = spawn.get_preparation_data("pdf-render").get("init_main_from_path")
    if main_path:
        os.environ[MAIN_PATH_VARIABLE] = main_path  # read only by the fork server, started next
    context.set_forkserver_preload([__name__, "app.pdf.warm_up"])
    return context


def start_fork_server() -> None:
    """Start the fork server now (it loads WeasyPrint: seconds), not at the first download."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def render(html: str, timeout: float) -> tuple[bytes, list[str]]:
    """The PDF of `html` and the URLs the fetcher refused, or RenderTimeout after `timeout` s.

    Returns only once the render process has stopped (even on time-out or failure), so a
    caller's concurrency slot is never freed while the process still runs.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, html),
                              name="pdf-render", daemon=True)
    try:
        process.start()
        log.debug("PDF render process %d started", process.pid)
        sender.close()  # so a child that dies shows up here as end of file
        if not receiver.poll(timeout):
            log.warning("PDF render process %d took longer than %g s: killing it", process.pid, timeout)
            raise RenderTimeout(f"the render took longer than {timeout:g} s")
        try:
            outcome, value, refused = receiver.recv()
        except EOFError:
            process.join(1)
            raise RenderFailed(f"the render process died (exit code {process.exitcode})") from None
        if outcome != "ok":
            raise RenderFailed(value)
        process.join(1)  # it has sent everything and is exiting
        return value, refused
    finally:
        receiver.close()
        _stop(process)


def _stop(process) -> None:
    """Kill the process unless it has already exited, and wait until it has."""
    if process.pid is None:  # it never started
        return
    if process.exitcode is None:
        process.kill()
        process.join()
    process.close()


def _child(sender, html: str) -> None:
    try:
        fetcher = AssetsOnlyFetcher()
        sender.send(("ok", html_to_pdf(html, fetcher), fetcher.refused))
    except Exception:  # noqa: BLE001 - every failure goes back to the parent, which logs it
        sender.send(("error", traceback.format_exc(), []))
    finally:
        sender.close()
