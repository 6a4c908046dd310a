"""Render slots shared by every web worker process on this host: N lock files.

Holding slot i means holding an exclusive `flock` on `<dir>/slot-<i>.lock`. The operating
system releases the lock when the holder closes the file or dies, so a crashed worker never
leaks a slot. Two web workers (`uvicorn --workers 2`) therefore never run more than N renders
at once in total. With several hosts behind a load balancer the limit is per host.

`one_render` is the same kind of lock named after what is rendered, so a download arriving
while that PDF is being rendered (by the background render after finalising, in this process
or another web worker's) waits for it instead of rendering it again.
"""

import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.metrics import RENDER_SECONDS, RENDERS_RUNNING, RENDERS_WAITING

POLL_SECONDS = 0.05


class NoSlot(Exception):
    """Every slot stayed busy until the deadline."""


@contextmanager
def render_slot(directory: Path, slots: int, wait: float) -> Iterator[int]:
    """Hold one of `slots` slots (yielding its number), waiting at most `wait` seconds."""
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with RENDERS_WAITING.track_inprogress():
        while True:
            held = _try_each(directory, slots)
            if held is not None:
                break
            if time.monotonic() >= deadline:
                raise NoSlot(f"all {slots} render slots stayed busy for {wait:g} s")
            time.sleep(POLL_SECONDS)
    number, fd = held
    try:
        # A render holds its slot for exactly as long as it runs.
        with RENDERS_RUNNING.track_inprogress(), RENDER_SECONDS.time():
            yield number
    finally:
        os.close(fd)  # closing the file releases its lock


def _try_each(directory: Path, slots: int) -> tuple[int, int] | None:
    for number in range(slots):
        fd = os.open(directory / f"slot-{number}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            continue
        return number, fd
    return None


@contextmanager
def one_render(directory: Path, name: str, wait: float) -> Iterator[bool]:
    """Hold the host-wide lock for rendering `name`, waiting at most `wait` seconds while
    another thread or process holds it; yields False if it was still held by then.

    The holder removes the lock file when done, so one file per render never piles up; a
    waiter that then takes the lock on the removed file sees it is no longer the one at the
    path and tries again on a new one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"render-{hashlib.sha256(name.encode()).hexdigest()[:32]}.lock"
    deadline = time.monotonic() + wait
    fd = None
    while fd is None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            fd = None
            if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(POLL_SECONDS)
            continue
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if not current:  # its holder removed it after we opened it: take a new one
            os.close(fd)
            fd = None
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)
