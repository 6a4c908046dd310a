"""Templates hold no workflow facts: whether a record is a draft, an action open, a request
declined, or an action one that updates all agencies is answered once, by the code that owns
it, and handed to the template ready-made. A template that compares a status or a kind with a
string would decide the workflow again."""

import ast
from pathlib import Path

from jinja2 import Environment, nodes

from app.domain.choices import RecordStatus

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"
WORKFLOW_NAMES = {"status", "kind"}


def _names_workflow(node: nodes.Node) -> bool:
    """Whether an expression reads a status or a kind: `record.status`, `status.value`,
    `kind`, `f.value(prefix ~ "-kind")`."""
    for part in [node, *node.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Const))]:
        if isinstance(part, nodes.Name) and part.name in WORKFLOW_NAMES:
            return True
        if isinstance(part, nodes.Getattr) and part.attr in WORKFLOW_NAMES:
            return True
        if isinstance(part, nodes.Const) and isinstance(part.value, str) and any(
                part.value.rstrip("]").endswith(name) for name in WORKFLOW_NAMES):
            return True  # a key such as "-kind" or "[status]"
    return False


def _literal(node: nodes.Node) -> bool:
    """A string, or a tuple or list of them."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.Tuple | nodes.List):
        return any(_literal(item) for item in node.items)
    return False


def workflow_literals(source: str) -> list[int]:
    """The lines where a template compares a status or a kind with a string (==, !=, in, not
    in, or the `equalto`/`sameas` tests)."""
    found = []
    tree = Environment().parse(source)
    for compare in tree.find_all(nodes.Compare):
        sides = [compare.expr, *(operand.expr for operand in compare.ops)]
        if any(_literal(side) for side in sides) and any(
                _names_workflow(side) for side in sides if not _literal(side)):
            found.append(compare.lineno)
    for test in tree.find_all(nodes.Test):
        if test.name in ("equalto", "eq", "==", "sameas", "in") and test.args and _literal(
                test.args[0]) and _names_workflow(test.node):
            found.append(test.lineno)
    for chosen in tree.find_all(nodes.Filter):  # selectattr("status", "equalto", "open")
        if chosen.name in ("selectattr", "rejectattr") and len(chosen.args) > 2 and _names_workflow(
                chosen.args[0]) and _literal(chosen.args[2]):
            found.append(chosen.lineno)
    return sorted(found)


def test_no_template_compares_a_status_or_a_kind_with_a_string():
    offenders = {str(path.relative_to(TEMPLATES)): lines
                 for path in sorted(TEMPLATES.rglob("*.html"))
                 if (lines := workflow_literals(path.read_text()))}
    assert offenders == {}


def test_the_scan_sees_each_way_of_comparing():
    source = "\n".join([
        '{% if record.status == "draft" %}x{% endif %}',
        '{% if record.status in ("finalised", "authorised") %}x{% endif %}',
        '{% for a in actions if a.status != "open" %}{% endfor %}',
        '{{ "x" if f.value(prefix ~ "-kind") == "update_agencies" }}',
        '{% if "declined" == req.status %}x{% endif %}',
        '{% if status.value == "Complete" %}x{% endif %}',
        '{% if kind == "radio" %}x{% endif %}',
        '{{ actions | selectattr("status", "equalto", "open") | list }}',
        '{% if record.is_draft %}x{% endif %}',
        '{% if typed.sort == "oldest" %}x{% endif %}',
        '{% if record.status == other.status %}x{% endif %}',
    ])
    assert workflow_literals(source) == [1, 2, 3, 4, 5, 6, 7, 8]


# --- one definition of each workflow fact ----------------------------------------------------

APP = TEMPLATES.parent
STATUSES = {status.name for status in RecordStatus}


def _status_named(item: ast.expr) -> str | None:
    """"finalised", FINALISED (RecordStatus.FINALISED) or FINALISED (RecordStatus.FINALISED.value)."""
    if isinstance(item, ast.Constant) and isinstance(item.value, str):
        return item.value.upper()
    if isinstance(item, ast.Attribute):
        if item.attr == "value" and isinstance(item.value, ast.Attribute):
            return item.value.attr
        return item.attr
    return None


def _final_pairs(source: str) -> list[int]:
    """The lines where code lists the finalised and authorised statuses together: a tuple, list
    or set of record statuses holding both, or SQL naming both."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = {_status_named(item) for item in node.elts}
            if {"FINALISED", "AUTHORISED"} <= named <= STATUSES:
                found.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                "'finalised'" in node.value and "'authorised'" in node.value):
            found.append(node.lineno)
    return found


def test_the_finalised_statuses_are_listed_once():
    listed = {str(path.relative_to(APP)): lines for path in sorted(APP.rglob("*.py"))
              if (lines := _final_pairs(path.read_text()))}
    assert list(listed) == ["domain/choices.py"]


def test_the_check_sees_each_way_of_listing_them():
    assert _final_pairs("A = (RecordStatus.FINALISED, RecordStatus.AUTHORISED)\n"
                        "B = [RecordStatus.FINALISED.value, RecordStatus.AUTHORISED.value]\n"
                        "C = {'finalised', 'authorised'}\n"
                        "D = \"status IN ('finalised', 'authorised')\"\n"
                        "E = (RecordStatus.FINALISED, RecordStatus.DRAFT)\n"
                        "F = ('viewed', 'finalised', 'authorised')\n") == [1, 2, 3, 4]
