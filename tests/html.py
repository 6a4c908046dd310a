"""Reading HTML responses with a real parser, and posting the section forms as a browser does."""

import re
from datetime import date, datetime

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_data(page: BeautifulSoup, form_selector: str = "main form") -> list[tuple[str, str]]:
    """What a browser would post for the form as shown (inputs, selects, textareas)."""
    form = page.select_one(form_selector)
    pairs = []
    for field in form.select("input, select, textarea"):
        name = field.get("name")
        if not name or field.name == "button":
            continue
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            pairs.append((name, chosen.get("value", "") if chosen else ""))
        elif field.name == "textarea":
            pairs.append((name, field.text))
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                pairs.append((name, field.get("value", "on")))
        else:
            pairs.append((name, field.get("value", "")))
    return pairs


def error_summary(page: BeautifulSoup) -> dict[str, str]:
    """The error summary's links: href -> message. A page has at most one summary."""
    boxes = page.select(".govuk-error-summary")
    assert len(boxes) <= 1, f"{len(boxes)} error summaries on one page"
    box = boxes[0] if boxes else None
    return {a["href"]: a.get_text(strip=True) for a in box.select("a")} if box else {}


def table_rows(table) -> list[list[str]]:
    """A table body's rows as lists of cell texts (the lines of a cell joined by a space)."""
    return [[" ".join(cell.get_text(" ").split()) for cell in row.select("td, th")]
            for row in table.select("tbody tr")]


def is_full_page(page: BeautifulSoup) -> bool:
    return all(page.find(tag) is not None for tag in ("html", "head", "body", "main"))


def assert_not_found(answer) -> None:
    """The service's own 404 page (HTML, a whole page), not a bare error."""
    assert answer.status_code == 404, answer.status_code
    assert answer.headers["content-type"].startswith("text/html")
    page = soup(answer)
    assert is_full_page(page)
    assert page.select_one("main h1").get_text(strip=True) == "Page not found"


# --- what a form shows and posts ---------------------------------------------------------


def shown_values(root, selector: str = "main form") -> dict[str, list[str]]:
    """What the form as shown would post: name -> values."""
    shown: dict[str, list[str]] = {}
    for key, value in form_data(root, selector):
        shown.setdefault(key, []).append(value)
    return shown


def assert_shows(root, typed: dict, selector: str = "main form") -> None:
    """The form shows each typed value again (a list value: the key repeated)."""
    shown = shown_values(root, selector)
    for key, value in typed.items():
        expected = value if isinstance(value, list) else [value]
        assert shown.get(key) == expected, (key, shown.get(key), expected)


def replaced(pairs, changes: dict) -> list[tuple[str, str]]:
    """The pairs with each key in `changes` replaced (a list value: the key repeated)."""
    kept = [(k, v) for k, v in pairs if k not in changes]
    for key, value in changes.items():
        kept += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return kept


def date_fields(key: str, when: date | datetime, time: str | None = None) -> dict[str, str]:
    """A date as the day, month and year boxes (and time box) hold it."""
    parts = {f"{key}-day": str(when.day), f"{key}-month": str(when.month),
             f"{key}-year": str(when.year)}
    if time is not None:
        parts[f"{key}-time"] = time
    elif isinstance(when, datetime):
        parts[f"{key}-time"] = f"{when:%H:%M}"
    return parts


def revision_in(page: BeautifulSoup, selector: str = "main form") -> str:
    """The revision a form was opened at (its hidden field)."""
    return page.select_one(f"{selector} input[name=revision]")["value"]


# --- the record's pages ------------------------------------------------------------------


def start(client) -> int:
    """Start a record the way a person does: the button on the list page."""
    answer = client.post("/strategies", follow_redirects=False)
    assert answer.status_code == 303
    match = re.fullmatch(r"/strategies/(\d+)", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


def section_page(client, record_id: int, slug: str) -> BeautifulSoup:
    answer = client.get(f"/strategies/{record_id}/sections/{slug}")
    assert answer.status_code == 200, (slug, answer.status_code)
    return soup(answer)


def _multi(pairs) -> dict:
    """httpx posts a list value as the same key repeated, as a browser does."""
    data: dict = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


def post_section(client, record_id: int, slug: str, pairs, *, action: str | None = "save",
                 htmx: bool = False, **kwargs):
    """Post a section form; `action` is the button pressed (None: post the pairs as given)."""
    if action is not None:
        pairs = [(k, v) for k, v in pairs if k != "row-action"] + [("row-action", action)]
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/strategies/{record_id}/sections/{slug}", data=_multi(pairs),
                       headers=headers, follow_redirects=False, **kwargs)


def post_follow_up_form(client, record_id: int, form_id: str, **typed):
    """Post a form of the record's follow-up page as the page shows it, with `typed` filled
    in (as a browser would; a list posts the field once per value)."""
    page = soup(client.get(f"/strategies/{record_id}/follow-up"))
    form = page.select_one(f"#{form_id}")
    assert form is not None, f"no form #{form_id}"
    data: dict[str, list[str]] = {}
    for key, value in form_data(page, f"#{form_id}"):
        if key not in typed:
            data.setdefault(key, []).append(value)
    for key, value in typed.items():
        data[key] = value if isinstance(value, list) else [value]
    return client.post(form["action"], data=data, follow_redirects=False)
