"""Every module of the app stays small enough to read in one sitting: at most 400 lines. A module
that grows past it is split by concern (as records_pages.py, record_list_pages.py,
section_pages.py and autosave_pages.py were), not by size alone."""

from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 400


def test_no_module_is_over_400_lines():
    long = {str(path.relative_to(APP.parent)): n for path in sorted(APP.rglob("*.py"))
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}
