"""Reading PDFs in tests: text per page, the document catalogue, the structure tree."""

import io
import re
from collections import Counter
from functools import partial

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject


def pages_text(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def page_one_text(content: bytes) -> str:
    """Page 1's text alone (what is read first)."""
    return pages_text(content)[0]


# Each page's running header and footer, as extracted at the end of its text (any status).
RUNNING = re.compile(r" ?SR-\d{4}-\d{5} · version \d+ OFFICIAL-SENSITIVE .*? ?Generated \d{1,2} \w+ "
                     r"\d{4} at \d{2}:\d{2} OFFICIAL-SENSITIVE Page \d+ of \d+$")


def page_body(page: str) -> str:
    """A page's text without its running header and footer, or the list bullets (extracted
    wherever the page ends, so they move with a page break)."""
    found = RUNNING.search(page)
    assert found, f"no running header and footer on {page[-200:]!r}"
    return " ".join(page[:found.start()].replace("•", " ").split())


def reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def structure_tags(content: bytes) -> Counter:
    """How many structure elements of each type (H1, TH, …) the tagged PDF's tree holds."""
    found: Counter = Counter()

    def walk(node):
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                found[str(node["/S"]).removeprefix("/")] += 1
            if "/K" in node:
                walk(node["/K"])

    walk(reader(content).trailer["/Root"]["/StructTreeRoot"])
    return found


def squashed(text: str) -> str:
    """Text without white space: the PDF may wrap a cell's words anywhere."""
    return "".join(text.split())


def assert_in_order(text: str, pieces: list[str]) -> None:
    """Each piece occurs in the text after the one before it (white space ignored)."""
    text, at = squashed(text), 0
    for piece in pieces:
        found = text.find(squashed(piece), at)
        assert found >= 0, f"{piece!r} is not in the text after {text[max(0, at - 60):at]!r}"
        at = found + len(squashed(piece))


def _slow_render(delay: float, sender, html: str) -> None:
    import time

    from app.pdf import worker

    time.sleep(delay)
    worker._child(sender, html)


def slow_render(delay: float):
    """What a render process runs, started `delay` seconds late: set as `worker._child`, it
    reaches the process by name (a patched module attribute would not)."""
    return partial(_slow_render, delay)
