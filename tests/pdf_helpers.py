"""Reading PDFs in tests: text per page, and the document catalogue."""

import io

from pypdf import PdfReader


def pages_text(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))
