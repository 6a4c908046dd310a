"""The README's settings and JSON API tables are what scripts/readme_tables.py writes from the
code (app/config.py's settings and their comments; the app's OpenAPI routes and docstrings)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_tables_are_current():
    found = subprocess.run([sys.executable, "scripts/readme_tables.py", "--check"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr


def test_every_setting_and_api_route_is_in_the_readme():
    from app.config import Settings
    from app.main import app

    readme = (ROOT / "README.md").read_text()
    assert [name for name in Settings.model_fields if f"`{name.upper()}`" not in readme] == []
    routes = [f"`{method.upper()} {path}`" for path, operations in app.openapi()["paths"].items()
              for method in operations]
    assert [route for route in routes if route not in readme] == []
