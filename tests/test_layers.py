"""The packages import one way: the domain at the bottom, then the rules, the database, the core
services, and the web (pages and API) on top; above it only the entry points that assemble and
run the app. The package graph is computed from the code's imports (a package is
`app.<first component>`): no import may point to a higher layer, and no two packages may reach
each other, however many packages lie between."""

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Bottom to top. Within a layer a package may import another, as long as no cycle forms.
LAYERS = [
    ("settings and plumbing", {"app.config", "app.asgi", "app.csv_export", "app.db_timeouts",
                               "app.logs", "app.metrics", "app.clock"}),
    ("the domain", {"app.domain", "app.parsing"}),
    ("the rules", {"app.rules"}),
    ("the database", {"app.db", "app.deps"}),
    ("core services", {"app.auth", "app.organisations", "app.records", "app.templating", "app.sending",
                       "app.followup", "app.visibility", "app.links", "app.requests", "app.worklists",
                       "app.pdf", "app.reports", "app.identity", "app.retention",
                       "app.subject_access", "app.returns"}),
    ("web", {"app.web"}),
    ("entry points", {"app.main", "app.__main__", "app.cli", "app.demo", "app.migrate", "app.models",
                      "app.backup"}),
]
LAYER = {package: n for n, (_, packages) in enumerate(LAYERS) for package in packages}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _module(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST) -> list[str]:
    """The app modules an import statement names (`from app import x` names app.x)."""
    if isinstance(node, ast.ImportFrom) and node.module == "app":
        return [f"app.{alias.name}" for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app."):
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("app.")]
    return []


def _trees() -> dict[str, ast.Module]:
    return {_module(path): ast.parse(path.read_text()) for path in APP.rglob("*.py")}


def _graph() -> dict[str, dict[str, set[str]]]:
    """package -> package it imports -> the modules that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for module, tree in _trees().items():
        for node in ast.walk(tree):
            for imported in _imported(node):
                if _package(imported) != _package(module):
                    graph[_package(module)][_package(imported)].add(module)
    return graph


def _cycles(graph) -> list[list[str]]:
    """Each group of packages that reach one another (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(package: str) -> None:
        index[package] = low[package] = len(index)
        stack.append(package)
        for other in graph.get(package, {}):
            if other not in index:
                visit(other)
                low[package] = min(low[package], low[other])
            elif other in stack:
                low[package] = min(low[package], index[other])
        if low[package] == index[package]:
            group = []
            while not group or group[-1] != package:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for package in sorted(graph):
        if package not in index:
            visit(package)
    return groups


def test_every_package_has_a_layer():
    packages = {_package(module) for module in _trees()} - {"app"}
    assert sorted(packages - LAYER.keys()) == []


def test_no_import_points_to_a_higher_layer():
    upward = [f"{package} ({LAYERS[LAYER[package]][0]}) imports {other} ({LAYERS[LAYER[other]][0]}) "
              f"in {sorted(modules)}"
              for package, imports in sorted(_graph().items()) for other, modules in sorted(imports.items())
              if LAYER[other] > LAYER[package]]
    assert upward == []


def test_no_two_packages_import_each_other():
    assert _cycles(_graph()) == []


def test_imports_are_at_the_top_of_the_module():
    """An import inside a function hides a dependency from readers (and from this test)."""
    hidden = [f"{module}:{node.lineno}" for module, tree in sorted(_trees().items())
              for function in ast.walk(tree)
              if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
              for node in ast.walk(function) if _imported(node)]
    assert hidden == []


def test_the_domain_imports_nothing_of_the_app_but_settings():
    assert set(_graph()["app.domain"]) <= {"app.config", "app.clock"}


def test_the_cycle_finder_finds_a_cycle():
    graph = {"app.a": {"app.b": set()}, "app.b": {"app.c": set()}, "app.c": {"app.a": set()},
             "app.d": {"app.a": set()}}
    assert _cycles(graph) == [["app.a", "app.b", "app.c"]]
