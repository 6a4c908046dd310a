"""The live audit counted afresh from every row of the period, one query a family: the answer
the kept months (app/reports/tally.py) must always agree with, and what the figures' own tests
assert against without the tally's bookkeeping in the way."""

from sqlmodel import Session

from app.reports.families import Scope
from app.reports.figures import FIGURES, Figure, Result, count_family


def report(session: Session, scope: Scope, figures: list[Figure] | None = None) -> list[Result]:
    """Every figure (or those given), in FIGURES order, counted from every row of the period."""
    figures = figures or FIGURES
    families: dict[str, list[Figure]] = {}
    for figure in figures:
        families.setdefault(figure.family.name, []).append(figure)
    counted = {result.figure.id: result for members in families.values()
               for result in count_family(session, members[0].family, members, scope)}
    return [counted[figure.id] for figure in figures]
