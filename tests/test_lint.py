"""Ruff, with the rules pyproject.toml selects, finds nothing in the code, the tests or the
benchmarks: part of the suite, so CI runs it. (Migrations are history, left as written.)"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    found = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         "app", "tests", "benchmarks"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr
