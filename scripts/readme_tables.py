"""Write the README's settings and JSON API tables from the code, between their marker
comments; with --check, change nothing and exit 1 if the README is not current
(tests/test_readme_tables.py runs that).

- Settings: every field of app/config.py's Settings, as its environment variable, its default
  and the comment above it. Fields under one comment (no blank line between them) share a row.
- JSON API: every route in the app's OpenAPI schema, as its method and path and its docstring.

    .venv/bin/python scripts/readme_tables.py          # rewrite the tables
    .venv/bin/python scripts/readme_tables.py --check  # exit 1 if they are out of date
"""

import ast
import io
import re
import sys
import tokenize
from enum import Enum
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic_core import PydanticUndefined  # noqa: E402

from app import config  # noqa: E402

README = ROOT / "README.md"
CONFIG = ROOT / "app" / "config.py"
MARKERS = {"settings": ("<!-- settings table: scripts/readme_tables.py -->",
                        "<!-- end of settings table -->"),
           "routes": ("<!-- API routes table: scripts/readme_tables.py -->",
                      "<!-- end of API routes table -->")}


def _comments_by_line(source: str) -> dict[int, str]:
    return {token.start[0]: token.string.lstrip("#").strip()
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT}


def setting_groups() -> list[tuple[list[str], str]]:
    """(field names, the comment above them) in the order Settings declares them."""
    source = CONFIG.read_text()
    lines, comments = source.splitlines(), _comments_by_line(source)
    settings = next(node for node in ast.parse(source).body
                    if isinstance(node, ast.ClassDef) and node.name == "Settings")
    groups: list[tuple[list[str], str]] = []
    previous_end = None
    for node in settings.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, line = [], node.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments[line])
            line -= 1
        if above:
            groups.append(([node.target.id], " ".join(above)))
        elif groups and previous_end == node.lineno - 1:  # right under the field before it
            groups[-1][0].append(node.target.id)
        else:
            raise SystemExit(f"app/config.py:{node.lineno}: {node.target.id} needs a comment "
                             "above it saying what it is (the README's settings table shows it)")
        previous_end = node.end_lineno
    return groups


def default_text(name: str) -> str:
    field = config.Settings.model_fields[name]
    if field.default is PydanticUndefined:
        return "(see meaning)"  # computed when the settings are read (default_factory)
    value = field.default
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Enum):
        value = value.value
    text = str(value).replace(str(config.PROJECT_ROOT), "<project>")
    return f"`{text}`"


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def settings_table() -> str:
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for names, meaning in setting_groups():
        rows.append(f"| {', '.join(f'`{n.upper()}`' for n in names)} | "
                    f"{', '.join(default_text(n) for n in names)} | {_cell(meaning)} |")
    return "\n".join(rows)


def routes_table() -> str:
    from app.main import app

    rows = ["| Method and path | What it does |", "| --- | --- |"]
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            what = operation.get("description") or operation.get("summary") or ""
            rows.append(f"| `{method.upper()} {path}` | {_cell(what)} |")
    return "\n".join(rows)


def rewritten(readme: str) -> str:
    for key, table in (("settings", settings_table()), ("routes", routes_table())):
        start, end = MARKERS[key]
        if readme.count(start) != 1 or readme.count(end) != 1:
            raise SystemExit(f"README.md needs exactly one {start!r} and one {end!r}")
        before, rest = readme.split(start)
        _, after = rest.split(end)
        readme = f"{before}{start}\n{table}\n{end}{after}"
    return readme


def main(argv: list[str]) -> int:
    readme = README.read_text()
    new = rewritten(readme)
    if "--check" in argv:
        if new != readme:
            print("README.md's settings or API tables are out of date: run "
                  "`.venv/bin/python scripts/readme_tables.py`", file=sys.stderr)
            return 1
        return 0
    if new != readme:
        README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
