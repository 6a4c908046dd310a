"""The import graph runs one way: the domain at the bottom, then the rules, then storing and
showing records, then who may do what, then pages, API and PDF on top. A module may import
from its own layer or any below it, never from one above."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Each module's layer, by the longest matching name; every module of the app must match one.
LAYERS = [
    # 0: what a record is, settings, and writing CSV
    {"app.config", "app.parsing", "app.domain", "app.asgi", "app.csv_export"},
    # 1: the completeness rules: pure functions of the domain
    {"app.rules"},
    # 2: storing, reading and showing records and follow-up; users and the audit log
    {"app.db", "app.db_timeouts", "app.deps", "app.auth.models", "app.auth.passwords", "app.auth.audit",
     "app.records.models", "app.records.listing", "app.records.display", "app.records.view",
     "app.records.forms", "app.records.service", "app.pdf.models", "app.pdf.fetcher",
     "app.pdf.slots", "app.followup.models", "app.followup.versions", "app.followup.backfill",
     "app.reports.models", "app.reports.store", "app.organisations.models",
     "app.organisations.service",
     "app.followup.service", "app.followup.separation", "app.followup.projection",
     "app.followup.reprojection",
     "app.followup.cancellations", "app.records.staff", "app.returns.models",
     "app.followup.course", "app.followup.section47", "app.returns.census", "app.returns.ssd",
     "app.returns.checks", "app.returns.period",
     "app.requests.models", "app.sending.models", "app.sending.service",
     "app.sending.worker", "app.sending.outbox", "app.reports.charts", "app.links.models",
     "app.links.tokens", "app.links.issue", "app.organisations.contacts"},
    # 3: who may do what, and loading things for a person
    {"app.auth.roles", "app.auth.service", "app.auth.throttle", "app.auth.deps", "app.records.access",
     "app.visibility",
     "app.followup.tracker", "app.followup.queues", "app.requests.service", "app.sending.receipts",
     "app.reports.figures", "app.reports.backfill", "app.reports.disclosure", "app.links.service",
     "app.returns.service"},
    # 4: pages, API, the printed record, the app itself and its commands
    {"app.templating", "app.security", "app.errors", "app.limits", "app.main", "app.__main__",
     "app.models", "app.demo", "app.backup", "app.migrate", "app.auth.cli", "app.auth.pages",
     "app.records.pages", "app.records.api", "app.pdf", "app.followup.pages",
     "app.followup.api", "app.followup.view", "app.followup.printed", "app.requests.pages",
     "app.requests.api", "app.sending.pages", "app.reports.pages", "app.reports.api",
     "app.reports.exports", "app.reports.query", "app.refusals", "app.organisations.cli",
     "app.organisations.pages", "app.links.pages", "app.returns.pages", "app.returns.api"},
]


def _module(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best = max(((len(prefix), n) for n, layer in enumerate(LAYERS) for prefix in layer
                if module == prefix or module.startswith(prefix + ".")), default=None)
    assert best is not None, f"{module} has no layer: add it to LAYERS"
    return best[1]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for alias in node.names:  # `from app.records import access` imports app.records.access
                full = f"{node.module}.{alias.name}"
                found.add(full if (APP.parent / full.replace(".", "/")).with_suffix(".py").exists()
                          else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("app")}
    return found


def _modules() -> dict[str, Path]:
    """Every module of the app; a package's __init__ only if it holds code (most are empty)."""
    return {_module(path): path for path in APP.rglob("*.py")
            if path.name != "__init__.py" or _imports(path)}


def test_every_import_points_to_the_same_layer_or_one_below():
    upward, modules = [], _modules()
    for module, path in sorted(modules.items()):
        for imported in sorted(_imports(path)):
            if imported not in modules:
                continue  # a package's empty __init__
            if _layer(imported) > _layer(module):
                upward.append(f"{module} (layer {_layer(module)}) imports {imported} "
                              f"(layer {_layer(imported)})")
    assert upward == []


def test_the_domain_imports_nothing_of_the_app_but_settings():
    for module, path in _modules().items():
        if module.startswith("app.domain"):
            assert {m for m in _imports(path) if not m.startswith("app.domain")} <= {"app.config"}


def test_rules_and_records_packages_depend_one_way():
    rules_import = {m for module, path in _modules().items() if module.startswith("app.rules")
                    for m in _imports(path)}
    assert not {m for m in rules_import if m.startswith("app.records")}


def test_the_layer_map_knows_every_module():
    assert all(_layer(module) in range(len(LAYERS)) for module in _modules())
