"""The report's SVG charts: well-formed, escaped, accessible, free of anything the
Content-Security-Policy refuses, and drawn in the printed (WeasyPrint) report."""

import base64
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from app.pdf.fetcher import AssetsOnlyFetcher
from app.pdf.render import html_to_pdf
from app.reports.charts import bar_chart, line_chart
from tests.pdf_helpers import pages_text, squashed

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = 'Updates <script>alert("x")</script> & \'quotes\' "too"'
MONTHS = [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # raises if it is not well-formed XML


def _texts(root: ET.Element) -> list[str]:
    return [el.text for el in root.iter(f"{SVG}text")]


def _ticks(root: ET.Element, orient: str) -> list[str]:
    """An axis's tick labels, left to right or bottom to top."""
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"axis {orient}")
    labels = [t for g in axis if g.get("class") == "tick" for t in g.iter(f"{SVG}text")]
    if orient == "bottom":
        labels.sort(key=lambda t: float(t.get("x")))
    else:
        labels.sort(key=lambda t: -float(t.get("y")))
    return [t.text for t in labels]


def _series_paths(root: ET.Element) -> list[ET.Element]:
    return [el for g in root.iter(f"{SVG}g") if g.get("class") == "series lines"
            for el in g.iter(f"{SVG}path")]


def _markers(root: ET.Element) -> dict[str, int]:
    """Point markers by colour."""
    found: dict[str, int] = {}
    for circle in root.iter(f"{SVG}circle"):
        found[circle.get("fill")] = found.get(circle.get("fill"), 0) + 1
    return found


def _columns(root: ET.Element) -> list[ET.Element]:
    return [el for g in root.iter(f"{SVG}g") if g.get("class") == "series columns"
            for el in g.iter(f"{SVG}rect")]


def test_line_chart_has_title_axis_labels_months_and_one_marker_per_value():
    root = _parse(line_chart("Agencies updated on time", MONTHS,
                             {"On time": [50, 75, None, 100], "Late": [10, 20, 30, 40]},
                             y_label="Per cent of records"))
    assert root.tag == f"{SVG}svg"
    texts = _texts(root)
    assert texts[0] == "Agencies updated on time"
    assert ["On time", "Late"] == texts[1:3]  # the legend
    assert "Month" in texts and "Per cent of records" in texts
    assert _ticks(root, "bottom") == ["Nov 2024", "Dec 2024", "Jan 2025", "Feb 2025"]
    assert _ticks(root, "left") == ["0", "20", "40", "60", "80", "100"]
    # Three values and four values; the gap splits the first line in two.
    assert _markers(root) == {"#1d70b8": 3, "#f47738": 4}
    paths = _series_paths(root)
    assert [p.get("stroke") for p in paths] == ["#1d70b8", "#1d70b8", "#f47738"]
    assert [p.get("stroke-dasharray") for p in paths] == [None, None, "8 4"]  # solid, dashed


def test_the_y_axis_grows_past_y_max_and_finds_its_own_top_without_one():
    over = _parse(line_chart("T", MONTHS[:2], {"A": [120, 30]}, y_label="Per cent"))
    assert _ticks(over, "left") == ["0", "50", "100", "150", "200"]
    counts = _parse(line_chart("T", MONTHS[:2], {"A": [3, 7]}, y_label="Records", y_max=None))
    assert _ticks(counts, "left") == ["0", "2", "4", "6", "8", "10"]


def test_titles_labels_and_names_are_escaped_and_nothing_runs_or_styles_inline():
    markup = line_chart(HOSTILE, MONTHS, {HOSTILE: [1, 2, 3, 4]}, y_label=HOSTILE,
                        x_label=HOSTILE)
    assert "<script" not in markup
    root = _parse(markup)
    assert root.find(f"{SVG}title").text == HOSTILE
    assert _texts(root).count(HOSTILE) == 4  # title, legend, both axis titles
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in ("script", "style", "foreignObject", "a",
                                                     "image", "use")
        for name in element.attrib:
            assert name != "style" and not name.lower().startswith("on")
            assert "href" not in name


def test_chart_is_an_image_named_and_described_for_screen_readers():
    root = _parse(line_chart("Reviews on time", MONTHS, {"EDT": [1, 2, 3, 4]},
                             y_label="Per cent"))
    assert root.get("role") == "img"
    assert root.get("class") == "app-chart"
    assert root.get("viewBox") == "0 0 760 360"
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Reviews on time"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == (
        "Line chart of Per cent by month from Nov 2024 to Feb 2025. Series: EDT.")


def test_two_charts_on_one_page_have_different_ids():
    first = _parse(line_chart("A", MONTHS, {"A": [1, 2, 3, 4]}, y_label="Per cent"))
    second = _parse(bar_chart("B", MONTHS, [1, 2, 3, 4], y_label="Records"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_long_ranges_label_at_most_eight_months():
    months = [date(2023 + m // 12, m % 12 + 1, 1) for m in range(36)]
    root = _parse(line_chart("T", months, {"A": list(range(36))}, y_label="Per cent"))
    assert _ticks(root, "bottom") == ["Jan 2023", "Jun 2023", "Nov 2023", "Apr 2024", "Sep 2024",
                      "Feb 2025", "Jul 2025", "Dec 2025"]
    assert _markers(root) == {"#1d70b8": 36}


def test_bar_chart_has_one_column_per_month_with_a_count():
    root = _parse(bar_chart("Requests each month", MONTHS, [4, 0, None, 9],
                            y_label="Requests"))
    texts = _texts(root)
    assert texts[0] == "Requests each month"
    assert "Requests" in texts and "Month" in texts
    columns = _columns(root)
    assert len(columns) == 3  # None draws nothing; 0 a column of no height
    assert [float(c.get("height")) for c in columns][1] == 0
    assert _ticks(root, "left") == ["0", "2", "4", "6", "8", "10"]
    assert _ticks(root, "bottom") == ["Nov 2024", "Dec 2024", "Jan 2025", "Feb 2025"]
    assert root.find(f"{SVG}desc").text == (
        "Bar chart of Requests by month from Nov 2024 to Feb 2025. Series: Requests.")


def test_no_months_gives_a_chart_saying_so():
    for markup in (line_chart("Nothing yet", [], {}, y_label="Per cent"),
                   bar_chart("Nothing yet", [], [], y_label="Records")):
        root = _parse(markup)
        assert _texts(root) == ["Nothing yet", "No figures for this period."]


def test_series_of_the_wrong_length_or_a_repeated_month_is_a_programming_error():
    with pytest.raises(ValueError, match="has 2 values for 4 months"):
        line_chart("T", MONTHS, {"A": [1, 2]}, y_label="Per cent")
    with pytest.raises(ValueError, match="only once"):
        bar_chart("T", [MONTHS[0], MONTHS[0]], [1, 2], y_label="Records")


def test_not_a_number_is_a_gap():
    root = _parse(line_chart("T", MONTHS, {"A": [1, float("nan"), float("inf"), 4]},
                             y_label="Per cent"))
    assert _markers(root) == {"#1d70b8": 2}
    assert len(_series_paths(root)) == 2


def test_charts_print_in_the_weasyprint_report_inline_and_as_data_images():
    line = line_chart("Agencies updated on time & promptly", MONTHS,
                      {"On time": [50, 75, 60, 100]}, y_label="Per cent")
    bars = bar_chart("Requests each month", MONTHS, [4, 0, 2, 9], y_label="Requests")
    image = base64.b64encode(bars.encode()).decode()
    fetcher = AssetsOnlyFetcher()
    pdf = html_to_pdf(
        '<!doctype html><html lang="en"><head><title>Report</title>'
        '<link rel="stylesheet" href="print.css"></head><body><h1>Report</h1>'
        f'{line}<img alt="Requests each month" src="data:image/svg+xml;base64,{image}">'
        '</body></html>', fetcher)
    assert fetcher.refused == []
    text = squashed(" ".join(pages_text(pdf)))
    # The inline chart's text is real text in the PDF; the image's is drawn too.
    assert squashed("Agencies updated on time & promptly") in text
    assert squashed("Nov 2024") in text and squashed("Requests each month") in text


def test_a_chart_with_no_value_in_any_month_says_so():
    months = [date(2026, 1, 1), date(2026, 2, 1)]
    for svg in (line_chart("Nothing yet", months, {"Percentage": [None, None]}, "Percentage"),
                bar_chart("Nothing yet", months, [None, None], "Count")):
        root = ET.fromstring(svg)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert texts == ["Nothing yet", "No figures for this period."]


def test_a_long_title_wraps_inside_the_chart_instead_of_running_off_it():
    title = ("Agencies told the outcome by the date agreed at the discussion, as a share of "
             "every agency on the distribution list")
    for markup in (line_chart(title, MONTHS, {"On time": [1, 2, 3, 4]}, y_label="Per cent"),
                   bar_chart(title, MONTHS, [None] * 4, y_label="Records")):
        root = _parse(markup)
        lines = [t for t in _texts(root) if t and t in title]
        assert " ".join(lines) == title and len(lines) == 2
        # At the title font's character width, each line fits the 760-wide picture.
        assert all(len(line) * 9 <= 760 - 16 for line in lines)
        assert root.find(f"{SVG}title").text == title  # the accessible name is whole
