"""Month-by-month charts as SVG markup, drawn on the server (leather), for pages and PDFs.

Why leather: it builds the SVG with ElementTree, so every title, label and series name is
escaped as XML text, and it styles with presentation attributes (fill="...", stroke="...")
only: no <style>, no style="...", no <script>. The markup can therefore be inlined in a page
under the app's Content-Security-Policy (style-src 'self' refuses inline styles, script-src
'self' inline scripts), served as an <img>, or embedded in the printed report, where
WeasyPrint draws inline <svg> and data: images alike. (pygal styles with an inline <style>,
matplotlib with style="..." attributes and takes ~90 ms a chart.)

Each chart is an <svg class="app-chart" role="img">, 760 by 360 with a viewBox (a page's or
the print stylesheet's `.app-chart { width: 100%; height: auto }` scales it), with a <title>
(the chart's title) and a <desc> (what it shows: months and series), so a screen reader
announces it; a page should still give the figures as a table beside it. A month without a
value (None) leaves a gap in a line, not a zero. A chart takes 1-2 ms: nothing is cached.
"""

import math
import textwrap
import xml.etree.ElementTree as ET
from datetime import date
from itertools import count

import leather
from leather import theme
from leather.shapes import Dots

__all__ = ["bar_chart", "line_chart"]

WIDTH, HEIGHT = 760, 360
# GOV.UK colours (blue, orange, green, purple, red, dark grey): distinct for most colour
# vision, and every series also gets its own dash pattern.
COLOURS = ["#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#505a5f"]
DASHES = ["none", "8 4", "2 3", "12 3 2 3", "4 4", "1 6"]
FONT = "arial, 'Record Sans', sans-serif"
TEXT = "#0b0c0c"
SECONDARY = "#505a5f"
MAX_X_TICKS = 8
RIGHT_ROOM = 30
# A title longer than a line is wrapped (at the title font's character width).
TITLE_LINE = 24
TITLE_CHARACTERS_PER_LINE = WIDTH // 9 - 2

# leather's look is module-level configuration: set once, here (nothing else uses leather).
theme.background_color = "#ffffff"
theme.margin = 0.02
for _part in ("title", "legend", "axis_title", "tick"):
    setattr(theme, f"{_part}_font_family", FONT)
theme.title_color = TEXT
theme.title_font_size = theme.title_font_char_height = 18
theme.title_font_char_width = 9
theme.title_gap = 10
theme.legend_color = TEXT
theme.axis_title_color = TEXT
theme.legend_font_size = theme.legend_font_char_height = 14
theme.legend_font_char_width = 7
theme.axis_title_font_size = theme.axis_title_font_char_height = 14
theme.axis_title_font_char_width = 7
theme.tick_font_size = theme.tick_font_char_height = 13
theme.tick_font_char_width = 7
theme.label_color = SECONDARY
theme.tick_color = "#dddddd"
theme.zero_color = SECONDARY
theme.default_series_colors = COLOURS
theme.default_line_width = 2.5

_ids = count(1)


class _Exact(leather.Scale):
    """A linear scale from `low` to `high` exactly, with the ticks given: leather's own Linear
    widens its domain to round numbers, which would leave an empty stretch after the last
    month."""

    def __init__(self, low: float, high: float, ticks: list[float]):
        self._low, self._high, self._ticks = low, high if high > low else low + 1, ticks

    def contains(self, value) -> bool:
        return self._low <= value <= self._high

    def project(self, value, range_min, range_max) -> float:
        position = (float(value) - self._low) / (self._high - self._low)
        return range_min + (range_max - range_min) * position

    def ticks(self) -> list[float]:
        return self._ticks

    def format_tick(self, value, index, count) -> str:
        return _number(value)


class _Markers(Dots):
    """A series' points, drawn over its line; the legend names the series once, for the line."""

    def legend_to_svg(self, series, palette):
        return []


def _month_label(month: date) -> str:
    return f"{month:%b %Y}"


def _tick_indexes(n: int) -> list[int]:
    """Evenly spaced months to label (every month up to MAX_X_TICKS), always the first."""
    step = max(1, math.ceil(n / MAX_X_TICKS))
    return list(range(0, n, step))


def _clean(values: list[float | None], n: int, name: str) -> list[float | None]:
    if len(values) != n:
        raise ValueError(f"Series {name!r} has {len(values)} values for {n} months")
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


def _nice_ceiling(value: float) -> float:
    """A round top for the y axis at or above `value` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _y_top(series: dict[str, list[float | None]], y_max: float | None) -> float:
    highest = max((v for values in series.values() for v in values if v is not None), default=0)
    if y_max is not None and highest <= y_max:
        return float(y_max)
    return _nice_ceiling(highest)


def _y_scale(top: float) -> _Exact:
    """0 to `top` in five steps if they are round numbers (0, 20 ... 100), else four."""
    step = top / 5
    power = 10 ** math.floor(math.log10(step))
    steps = 5 if any(math.isclose(step, m * power) for m in (1, 2, 5, 10)) else 4
    return _Exact(0, top, [top * i / steps for i in range(steps + 1)])


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _description(kind: str, title: str, months: list[date], names: list[str], y_label: str
                 ) -> str:
    span = (f"from {_month_label(months[0])} to {_month_label(months[-1])}" if months
            else "with no months to show")
    return f"{kind} of {y_label} by month {span}. Series: {', '.join(names)}."


def _svg(chart: leather.Chart | None, title: str, description: str,
         empty: str = "No figures for this period.") -> str:
    """The complete, self-contained <svg> element: accessible name and description first."""
    ident = f"chart-{next(_ids)}"
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
        "width": str(WIDTH), "height": str(HEIGHT), "viewBox": f"0 0 {WIDTH} {HEIGHT}",
        "class": "app-chart", "role": "img", "aria-labelledby": f"{ident}-title",
        "aria-describedby": f"{ident}-desc",
        "font-family": FONT,
    })
    ET.SubElement(root, "title", id=f"{ident}-title").text = title
    ET.SubElement(root, "desc", id=f"{ident}-desc").text = description
    if chart is None:
        ET.SubElement(root, "rect", x="0", y="0", width=str(WIDTH), height=str(HEIGHT),
                      fill="#ffffff")
        lines = textwrap.wrap(title, TITLE_CHARACTERS_PER_LINE)
        for number, text in enumerate(lines):
            heading = ET.SubElement(root, "text", x="16", y=str(30 + TITLE_LINE * number),
                                    fill=TEXT)
            heading.set("font-size", "18")
            heading.text = text
        line = ET.SubElement(root, "text", x="16", y=str(46 + TITLE_LINE * len(lines)),
                             fill=SECONDARY)
        line.set("font-size", "14")
        line.text = empty
    else:
        # The title is drawn here, wrapped to the width (leather draws one line, which a long
        # figure name overran and was cut off), and the chart below it.
        lines = textwrap.wrap(title, TITLE_CHARACTERS_PER_LINE) or [""]
        for number, line in enumerate(lines):
            heading = ET.SubElement(root, "text", x="0", y=str(TITLE_LINE * (number + 1) - 4),
                                    fill=TEXT)
            heading.set("font-size", str(theme.title_font_size))
            heading.text = line
        top = TITLE_LINE * len(lines) + theme.title_gap
        plot = ET.SubElement(root, "g", transform=f"translate(0 {top})")
        # Drawn a little narrower than the image: room for the last month's label.
        plot.append(chart.to_svg_group(WIDTH - RIGHT_ROOM, HEIGHT - top))
    return ET.tostring(root, encoding="unicode")


def line_chart(title: str, months: list[date], series: dict[str, list[float | None]],
               y_label: str, x_label: str = "Month", y_max: float | None = 100,
               withheld: list[date] = ()) -> str:
    """One line per series over the months (a point marker per month with a value).

    `y_max` is the top of the y axis (100 for percentages); None, or a value above it, gives
    a round top above the highest value. `withheld` names months whose values are suppressed
    (small counts): their values must be None; the description says they are not drawn, and
    so does the chart when nothing is left to draw. Raises ValueError if a series' length
    differs from the months', or a withheld month has a value."""
    n = len(months)
    cleaned = {name: _clean(values, n, name) for name, values in series.items()}
    for name, values in cleaned.items():
        if any(values[i] is not None for i, month in enumerate(months) if month in withheld):
            raise ValueError(f"Series {name!r} has a value for a withheld month")
    description = _description("Line chart", title, months, list(cleaned), y_label)
    if withheld:
        description += (" Not drawn, because the counts are fewer than 5 or withheld: "
                        + ", ".join(_month_label(month) for month in withheld) + ".")
    if n == 0 or not any(v is not None for values in cleaned.values() for v in values):
        empty = ("Nothing is drawn: every month's count is fewer than 5 or withheld."
                 if withheld else "No figures for this period.")
        return _svg(None, title, description, empty)  # leather cannot draw a line of no values
    chart = leather.Chart()  # its title is drawn by _svg, wrapped
    # Months are placed by position (0 .. n-1), evenly, whatever their lengths in days.
    chart.set_x_scale(_Exact(0, n - 1, _tick_indexes(n)))
    chart.set_y_scale(_y_scale(_y_top(cleaned, y_max)))
    chart.add_x_axis(name=x_label,
                     tick_formatter=lambda value, i, c: _month_label(months[int(value)]))
    chart.add_y_axis(name=y_label)
    for index, (name, values) in enumerate(cleaned.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [(i, v) for i, v in enumerate(values)]
        chart.add_line(points, name=name, stroke_color=colour,
                       stroke_dasharray=DASHES[index % len(DASHES)])
        chart.add_series(leather.Series([p for p in points if p[1] is not None] or [(0, None)]),
                         _Markers(fill_color=colour, radius=3.5))
    return _svg(chart, title, description)


def bar_chart(title: str, months: list[date], values: list[float | None], y_label: str,
              x_label: str = "Month", y_max: float | None = None, name: str | None = None
              ) -> str:
    """One column per month (counts: how many records, requests ...). A month with None has
    no column. `name` labels the series in the description (default: the y label)."""
    n = len(months)
    cleaned = _clean(values, n, name or y_label)
    description = _description("Bar chart", title, months, [name or y_label], y_label)
    if n == 0 or all(v is None for v in cleaned):
        return _svg(None, title, description)
    keys = [f"{month:%Y-%m}" for month in months]
    if len(set(keys)) != n:
        raise ValueError("Each month may appear only once")
    labels = dict(zip(keys, (_month_label(m) for m in months), strict=True))
    chart = leather.Chart()  # its title is drawn by _svg, wrapped
    chart.set_x_scale(leather.Ordinal(keys))
    chart.set_y_scale(_y_scale(_y_top({"": cleaned}, y_max)))
    chart.add_x_axis(ticks=[keys[i] for i in _tick_indexes(n)], name=x_label,
                     tick_formatter=lambda value, i, c: labels[value])
    chart.add_y_axis(name=y_label)
    chart.add_columns([(key, v) for key, v in zip(keys, cleaned, strict=True)],
                      name=name or y_label, fill_color=COLOURS[0])
    return _svg(chart, title, description)
