"""What a reader may see of the live audit's figures: managers the exact counts, the safeguarding
partnership every count with small numbers suppressed, as official statistics do. `disclose`
is the one function the page, the CSV, the PDF and the API all show the figures through.

The rule (the partnership's view)
---------------------------------
A *small* count is one below 5 (0 to 4). It is never shown: it reads "fewer than 5" (in JSON:
null, and `suppressed` names the field with "fewer_than_5"). A count that is not small but
would let a reader work a small count out is *withheld* too ("withheld"; in JSON
"protects_small_count"), and so is a percentage that would give a withheld count back.

1. One figure, "x of n" (x: the numerator, n: the denominator, n - x: its complement, the
   records the figure applies to that it does not count):
   - n < 5: x, n and the percentage are all suppressed (x <= n, so x is small too).
   - n >= 5 and x < 5: x reads "fewer than 5" and the percentage is withheld; n is shown.
     The complement n - x is then one of five values (n - 4 .. n): not derivable.
   - n >= 5, x >= 5 and n - x < 5: the complement is small, and n - x would follow from x and
     n, so x is withheld (and the percentage); n is shown.
   - otherwise all three are shown.
   Worked examples (x of n -> what is shown):
     0 of 3   -> fewer than 5 of fewer than 5, percentage withheld
     0 of 12  -> fewer than 5 of 12, percentage withheld
     4 of 10  -> fewer than 5 of 10, percentage withheld
     5 of 10  -> 5 of 10, 50% (the complement, 5, is not small)
     7 of 10  -> withheld of 10, percentage withheld (the complement, 3, is protected)
     9 of 9   -> withheld of 9 (all but none: the complement, 0, is protected)
     5 of 12  -> 5 of 12, 41.7%
   A figure that is a plain count (requests by agency: every request counted, x = n) has no
   complement: its count is suppressed below 5 and shown otherwise.

2. A breakdown adding up to a shown whole (the months of a figure add up to its period; the
   agencies of a figure counted per agency add up to its total): a single suppressed cell
   could be worked out by subtracting the others from the whole. So, for the numerators and
   separately for the denominators: while the suppressed cells could be pinned down from the
   whole (only one of them, or all of them at the lowest or highest values their labels
   allow, e.g. two "fewer than 5" months with 8 between them), the smallest shown cell is
   withheld too (and its percentage); if every cell is already suppressed, the whole is.
   Worked example: months with numerators 3, 9, 12 of a shown total 24: 3 reads "fewer than
   5", and 9 (the smallest shown) is withheld, so the two are known only to add up to 12.
   Each cell of a breakdown is never larger than its whole, so a suppressed whole has every
   cell suppressed with it. Months with nothing and agencies with nothing are listed as
   "fewer than 5", so that an absent row gives no zero away.

3. Categories that overlap (the reasons for returning a record: one return may give several)
   are each "x of the returns" under rule 1; they do not add up to a whole.

4. An average or median over fewer than 5 (the days until referrers were told, the hours to
   decide a request) is withheld: with one or two values it would be theirs.

5. The period is whole months, up to the last complete month (ReportQuery.complete_months):
   two reports whose periods end a day apart would otherwise give that day's records away.

What this does not yet protect against (differencing across separate reports): the team and
led-by filters split the same whole, so a team's suppressed cell could be worked out from the
all-teams report less every other team's; and figures for overlapping periods differ by the
months between them. Protecting those needs the same breakdown rule across teams and lead
(and months) at once; until then the partnership's filters are a known gap.
Managers see exact figures (of their own team or all: their choice of filter).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from app.auth.models import User
from app.auth.roles import Role
from app.domain.choices import Agency
from app.reports import tally
from app.reports.breakdowns import Average, ReturnReasons
from app.reports.figures import Count, Figure, Result

SMALL = 5
FEWER_THAN = f"fewer than {SMALL}"
WITHHELD_TEXT = "withheld"


class Withheld(StrEnum):
    """Why a value is not shown."""

    FEWER_THAN_5 = "fewer_than_5"  # the count itself is 0 to 4
    PROTECTS_SMALL_COUNT = "protects_small_count"  # it would let a small count be worked out


def sees_exact_figures(user: User) -> bool:
    """Managers see exact counts (and may follow them to the records they may see); the
    safeguarding partnership sees them suppressed, and never a record."""
    return user.role == Role.MANAGER


@dataclass
class Cell:
    """A count as shown: a withheld value is None, and `withheld` says which and why."""

    numerator: int | None
    denominator: int | None
    percentage: float | None
    withheld: dict[str, Withheld] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """A value as people read it: "3", "60%", "–" (no percentage of nothing), "fewer than
        5" or "withheld"."""
        why = self.withheld.get(name)
        if why is not None:
            return FEWER_THAN if why == Withheld.FEWER_THAN_5 else WITHHELD_TEXT
        value = getattr(self, name)
        if name == "percentage":
            return "–" if value is None else f"{value:g}%"
        return str(value)

    def hide(self, name: str, why: Withheld) -> None:
        setattr(self, name, None)
        self.withheld.setdefault(name, why)


def exact(count: Count) -> Cell:
    return Cell(count.numerator, count.denominator, count.percentage)


def protect(count: Count, *, plain_count: bool = False) -> Cell:
    """One "x of n" under rule 1 (see the module's docstring)."""
    cell = exact(count)
    x, n = count.numerator, count.denominator
    if n < SMALL:
        for name in ("numerator", "denominator"):
            cell.hide(name, Withheld.FEWER_THAN_5)
        cell.hide("percentage", Withheld.PROTECTS_SMALL_COUNT)
    elif plain_count:
        pass
    elif x < SMALL:
        cell.hide("numerator", Withheld.FEWER_THAN_5)
        cell.hide("percentage", Withheld.PROTECTS_SMALL_COUNT)
    elif n - x < SMALL:
        cell.hide("numerator", Withheld.PROTECTS_SMALL_COUNT)
        cell.hide("percentage", Withheld.PROTECTS_SMALL_COUNT)
    return cell


def _bounds(cell: Cell, name: str) -> tuple[int, int | None]:
    """What a reader knows of a suppressed value from its label: 0-4 for "fewer than 5"; a
    withheld numerator lies between 0 and its denominator (if shown)."""
    if cell.withheld[name] == Withheld.FEWER_THAN_5:
        return 0, SMALL - 1
    return 0, cell.denominator if name == "numerator" else None


def _pinned(cells: list[tuple[Cell, int]], name: str, whole: int) -> bool:
    hidden = [(cell, value) for cell, value in cells if name in cell.withheld]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    bounds = [_bounds(cell, name) for cell, _ in hidden]
    rest = whole - sum(value for cell, value in cells if name not in cell.withheld)
    highest = [high for _, high in bounds]
    return rest == sum(low for low, _ in bounds) or (
        None not in highest and rest == sum(highest))


def protect_breakdown(whole: Cell, counts: list[Count], plain_count: bool = False) -> list[Cell]:
    """The cells of a breakdown adding up to `whole` (already protected), under rules 1 and 2."""
    cells = [protect(count, plain_count=plain_count) for count in counts]
    for name in ("numerator", "denominator"):
        value_of = [getattr(count, name) for count in counts]
        total = getattr(whole, name)
        if total is None:
            continue  # the whole is suppressed: the cells cannot be subtracted from it
        pairs = list(zip(cells, value_of, strict=True))
        while _pinned(pairs, name, total):
            shown = [(value, i) for i, (cell, value) in enumerate(pairs)
                     if name not in cell.withheld]
            if not shown:
                whole.hide(name, Withheld.PROTECTS_SMALL_COUNT)
                whole.hide("percentage", Withheld.PROTECTS_SMALL_COUNT)
                break
            _, smallest = min(shown)
            cells[smallest].hide(name, Withheld.PROTECTS_SMALL_COUNT)
            cells[smallest].hide("percentage", Withheld.PROTECTS_SMALL_COUNT)
            if plain_count:  # one value shown twice: both go
                other = "denominator" if name == "numerator" else "numerator"
                cells[smallest].hide(other, Withheld.PROTECTS_SMALL_COUNT)
    return cells


@dataclass
class Shown:
    """One figure as the reader may see it: the whole period, every month of the period, and
    for a figure counted per agency its agencies."""

    figure: Figure
    total: Cell
    months: dict[str, Cell]
    parts: dict[str, Cell]

    @property
    def suppressed(self) -> bool:
        return any(cell.withheld for cell in (self.total, *self.months.values(),
                                              *self.parts.values()))


@dataclass
class Disclosed:
    """The report as one reader may see it."""

    exact: bool
    figures: list[Shown]
    returns: Cell  # how many returns the reasons are counted out of
    reasons: list[tuple[str, str, Cell]]  # (category, label, its count out of the returns)
    referrer_days: float | None
    referrer_days_withheld: bool
    triage_hours: float | None
    triage_hours_withheld: bool


def _shown_exact(result: Result, months: list[str]) -> Shown:
    return Shown(result.figure, exact(result.total),
                 {m: exact(result.months.get(m, Count())) for m in months},
                 {part: exact(count) for part, count in sorted(result.parts.items())})


def _shown_protected(result: Result, months: list[str]) -> Shown:
    plain = result.figure.hit is None
    total = protect(result.total, plain_count=plain)
    month_cells = protect_breakdown(total, [result.months.get(m, Count()) for m in months],
                                    plain)
    parts: dict[str, Cell] = {}
    if result.figure.parts:
        names = [part.value for part in Agency]
        names += sorted(set(result.parts) - set(names))
        parts = dict(zip(names, protect_breakdown(
            total, [result.parts.get(name, Count()) for name in names], plain), strict=True))
    return Shown(result.figure, total, dict(zip(months, month_cells, strict=True)), parts)


def _average(average: Average, exact_figures: bool) -> tuple[float | None, bool]:
    if exact_figures or average.value is None or average.over >= SMALL:
        return average.value, False
    return None, True


def disclose(results: list[Result], months: list[str], reasons: ReturnReasons,
             referrer: Average, triage: Average, *, exact_figures: bool) -> Disclosed:
    """The report for a reader: exact (managers) or suppressed (the partnership), see above."""
    shown = _shown_exact if exact_figures else _shown_protected
    labels = ReturnReasons.labels()
    returns = Count(reasons.returns, reasons.returns)
    returns_cell = exact(returns) if exact_figures else protect(returns, plain_count=True)
    reason_cells = [(category, labels[category],
                     exact(Count(n, reasons.returns)) if exact_figures
                     else protect(Count(n, reasons.returns)))
                    for category, n in reasons.counts.items()]
    return Disclosed(exact_figures, [shown(result, months) for result in results],
                     returns_cell, reason_cells,
                     *_average(referrer, exact_figures), *_average(triage, exact_figures))


def report_for(session, user: User, scope, months: list[str],
               figures: list[Figure] | None = None) -> Disclosed:
    """Count the report (every figure, or those given) and show it as `user` may see it.
    The breakdowns (return reasons, referrer days, triage hours) belong to the whole report:
    a page of some figures shows none of them (they read as nothing counted). The counts are
    kept month by month (app/reports/tally.py)."""
    found = tally.counted(session, scope, figures)
    return disclose(found.results, months, found.reasons, found.referrer, found.triage,
                    exact_figures=sees_exact_figures(user))
