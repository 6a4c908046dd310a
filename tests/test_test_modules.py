"""Test modules share helpers through tests/conftest.py (fixtures) and helper modules such as
tests/builders.py, never by importing one another: a test module's private helper changes
with that module's tests, and importing a test module collects its tests twice over."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    return name.rpartition(".")[2].startswith("test_")


def imported_test_modules(source: str) -> list[str]:
    """The test modules (tests.test_x, tests.e2e.test_y, .test_z) a module's code imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and _is_test_module(node.module):
                found.append(module)
            elif not node.module or not _is_test_module(node.module):
                # from tests import test_x / from . import test_x
                prefix = module if module.endswith(".") else module + "."
                found += [prefix + alias.name for alias in node.names
                          if _is_test_module(alias.name)]
    return found


def test_no_module_in_tests_imports_a_test_module():
    offenders = {str(path.relative_to(TESTS)): imported
                 for path in sorted(TESTS.rglob("*.py"))
                 if (imported := imported_test_modules(path.read_text()))}
    assert offenders == {}


def test_the_check_sees_every_way_of_importing_a_test_module():
    assert imported_test_modules(
        "from tests.test_rules import build\n"
        "import tests.e2e.test_browser\n"
        "from tests import test_damaged\n"
        "from .test_pages import x\n"
        "from . import test_list\n"
        "from tests.builders import complete_record\n"
        "import tests.conftest\n") == [
        "tests.test_rules", "tests.e2e.test_browser", "tests.test_damaged", ".test_pages",
        ".test_list"]
