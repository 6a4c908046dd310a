"""Driving a page with the keyboard alone, as someone who cannot use a mouse would: Tab and
Shift+Tab to move, typing, Space and Enter to press, arrow keys in radio groups and selects.
The page is only read (never changed) by script, to know where focus is."""

from playwright.sync_api import Page

# Where focus is: enough to say in a failure which element it was, and whether it is still on
# the page and shown.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return null;
  const box = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute("name"),
          value: e.value === undefined ? null : e.value, checked: !!e.checked,
          text: (e.innerText || "").trim().slice(0, 60), connected: e.isConnected,
          shown: box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== "hidden"};
}"""

# Which way to move to reach an element: forward if it follows focus in the document.
DIRECTION = """selector => {
  const target = document.querySelector(selector);
  if (!target) throw new Error("nothing matches " + selector);
  const at = document.activeElement;
  if (at && at.matches(selector)) return null;
  if (!at || at === document.body) return "Tab";
  return at.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING ? "Tab" : "Shift+Tab";
}"""

IS_FOCUSED = "selector => !!document.activeElement && document.activeElement.matches(selector)"

# GOV.UK's focus style: a yellow (#ffdd00) outline, or a yellow background with a black
# underline (links, buttons) - either way yellow shows where focus is.
FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  const yellow = value => value.includes("rgb(255, 221, 0)");
  return {outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 3
                   && yellow(style.outlineColor),
          background: yellow(style.backgroundColor),
          shadow: yellow(style.boxShadow)};
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, selector: str, limit: int = 250) -> None:
    """Tab (or Shift+Tab, if it is above) until the element matching selector has focus."""
    key = page.evaluate(DIRECTION, selector)
    for _ in range(limit):
        if key is None or page.evaluate(IS_FOCUSED, selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{limit} presses of {key} never reached {selector}: "
                         f"focus is on {focused(page)}")


def expect_focus(page: Page, selector: str, timeout: float = 10_000) -> dict:
    """Focus is (or soon lands, after a swap) on selector, an element shown on the page."""
    try:
        page.wait_for_function(IS_FOCUSED, arg=selector, timeout=timeout)
    except Exception as error:
        raise AssertionError(f"focus should be on {selector}, is on {focused(page)}") from error
    at = focused(page)
    assert at["tag"] != "body" and at["connected"] and at["shown"], at
    return at


def has_focus_style(page: Page) -> bool:
    """The focused element shows GOV.UK's yellow focus indicator."""
    return any(page.evaluate(FOCUS_STYLE).values())


def type_into(page: Page, selector: str, text: str, replace: bool = False) -> None:
    tab_to(page, selector)
    if replace:
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
    page.keyboard.type(text)


def choose(page: Page, name: str, value: str) -> None:
    """A radio button: Tab into its group, then arrow keys (which check as they move)."""
    tab_to(page, f"input[type=radio][name='{name}']")
    for _ in range(12):
        at = focused(page)
        if at["value"] == value:
            if not at["checked"]:
                page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no radio {name}={value}: focus is on {focused(page)}")


def tick(page: Page, selector: str) -> None:
    """A checkbox: Tab to it and press Space, unless it is ticked already."""
    tab_to(page, selector)
    if not focused(page)["checked"]:
        page.keyboard.press("Space")


def select(page: Page, selector: str, value: str) -> None:
    """An option of a (closed) select: arrow keys move the choice one option at a time."""
    tab_to(page, selector)
    moves = page.evaluate(
        """([selector, value]) => {
          const box = document.querySelector(selector);
          const wanted = [...box.options].findIndex(option => option.value === value);
          if (wanted < 0) throw new Error("no option " + value + " in " + selector);
          return wanted - box.selectedIndex;
        }""", [selector, value])
    for _ in range(abs(moves)):
        page.keyboard.press("ArrowDown" if moves > 0 else "ArrowUp")
    assert page.evaluate("selector => document.querySelector(selector).value",
                         selector) == value


def option_value(page: Page, selector: str, label: str) -> str:
    """The value of the option a person would pick by its words."""
    return page.evaluate(
        """([selector, label]) => [...document.querySelector(selector).options]
              .find(option => option.text.trim() === label).value""", [selector, label])


def date(page: Page, key: str, day, time: str | None = None) -> None:
    """A GOV.UK date (and time): day, month and year in their boxes, Tab between them."""
    type_into(page, f"#{key}", str(day.day), replace=True)
    for part, text in [("month", str(day.month)), ("year", str(day.year))] + (
            [("time", time)] if time else []):
        page.keyboard.press("Tab")
        expect_focus(page, f"#{key}-{part}")
        page.keyboard.press("Control+a")
        page.keyboard.type(text)


def press_button(page: Page, selector: str, key: str = "Enter") -> None:
    tab_to(page, selector)
    page.keyboard.press(key)
