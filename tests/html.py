"""Reading HTML responses in tests with a real parser."""

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
    """The error summary's links: href -> message."""
    box = page.select_one(".govuk-error-summary")
    return {a["href"]: a.get_text(strip=True) for a in box.select("a")} if box else {}
