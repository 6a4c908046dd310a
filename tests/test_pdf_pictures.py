"""The printed record as a person sees it: every page, turned into a picture by poppler's
pdftoppm (installed by scripts/test.sh), has print on it and the same page size."""

import shutil
import subprocess

import pytest
from PIL import Image

from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.pdf.render import html_to_pdf, record_html
from tests.builders import complete_record
from tests.pdf_helpers import reader


def _ink(png) -> float:
    """The share of the page that is not white."""
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / (image.width * image.height)


def test_every_printed_page_has_print_on_it(session, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("poppler-utils is not installed (scripts/test.sh installs it)")
    record = lifecycle.create_record(session, data=StrategyRecordData.model_validate(complete_record()))
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(html_to_pdf(record_html(record)))
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True)
    pictures = sorted(tmp_path.glob("page-*.png"))
    assert len(pictures) == len(reader(pdf.read_bytes()).pages) >= 2
    sizes = {Image.open(p).size for p in pictures}
    assert len(sizes) == 1  # every page A4, none cut short
    for picture in pictures:
        assert _ink(picture) > 0.01, f"{picture.name} is blank"
