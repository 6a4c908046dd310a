"""The period a return covers, as typed on the Returns page or sent to the API."""

from datetime import date

from app.parsing import typed_date

# A census year at most, with room: a longer period is refused rather than read.
MAX_DAYS = 3 * 366


def census_year(today: date) -> tuple[date, date]:
    """The census year holding `today`: 1 April to 31 March."""
    first = today.year if today.month >= 4 else today.year - 1
    return date(first, 4, 1), date(first + 1, 3, 31)


def parse(values: dict, today: date) -> tuple[tuple[date, date] | None, dict[str, str]]:
    """((from, to), {}) or (None, {field: message}). Blank means the census year so far."""
    default = census_year(today)
    found, errors = {}, {}
    for name, label, fallback in (("from", "start", default[0]), ("to", "end", default[1])):
        raw = values.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            found[name] = fallback
            continue
        try:
            found[name] = typed_date(text[:40])
        except ValueError as problem:
            errors[name] = f"The period's {label}: {problem}"
    if not errors and found["from"] > found["to"]:
        errors["to"] = "The period's end must be on or after its start"
    elif not errors and (found["to"] - found["from"]).days > MAX_DAYS:
        errors["to"] = "Choose a period of at most three years"
    return (None if errors else (found["from"], found["to"])), errors
