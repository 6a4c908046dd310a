"""mypy, strict, finds nothing in the pure layers pyproject.toml's [tool.mypy] names (the
schema, the rules, the visibility rule and the clock): part of the suite, so CI runs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_nothing():
    # No cache: a stale one could hide a finding, and the checkout stays clean.
    found = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", "/dev/null", "--no-error-summary"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert found.returncode == 0, found.stdout + found.stderr
