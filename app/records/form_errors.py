"""A refused form's errors as people read them: each by its form key, worded from the
schema's field titles."""

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from app.domain.schema import StrategyRecordData
from app.parsing import whole_number


def error_messages(error: ValidationError, prefix: tuple = ()) -> dict[str, str]:
    messages: dict[str, str] = {}
    for detail in error.errors():
        loc = (*prefix, *[part for part in detail["loc"] if not _is_type_tag(part)])
        key = "-".join(str(part) for part in loc)
        messages.setdefault(key, plain_message(detail, field_title(loc)))
    return messages


def _is_type_tag(part) -> bool:
    # Pydantic adds tags like "function-after[...]" for validators inside unions.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "date", "datetime"))


def _in_sentence(title: str) -> str:
    """A field's title inside a sentence: its first letter small, other capitals kept (BST,
    GMT, LCS); a title opening with an acronym is left whole."""
    return title if title[:2].isupper() else title[:1].lower() + title[1:]


def plain_message(detail: dict, title: str) -> str:
    kind, message, ctx = detail["type"], detail["msg"], detail.get("ctx") or {}
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        if "email address" in message:
            return f"Enter {_in_sentence(title)} in the correct format, like name@example.com"
        return f"{title} {message}" if message[:1].islower() else message
    if kind == "string_too_long":
        return f"{title} must be {ctx.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"{title}: there can be at most {ctx.get('max_length')}"
    if kind in ("enum", "literal_error"):
        return f"Select {_in_sentence(title)} from the list"
    if kind.startswith("datetime") or (kind.startswith("date") and "time" in title.lower()):
        return f"{title} must be a real date and time, like 27 3 2026 and 14:30"
    if kind.startswith("date"):
        return f"{title} must be a real date, like 27 3 2026"
    if kind.startswith("int"):
        return f"{title} must be a whole number, like 24"
    if kind.startswith("bool"):
        return f"{title}: select yes or no"
    if kind == "extra_forbidden":
        return f"{title} is not part of the record"
    return f"{title}: {message}"


def field_title(loc: tuple) -> str:
    """The label people read for a field path, taken from the schema's titles."""
    model: Any = StrategyRecordData
    title = "This field"
    for part in loc:
        if isinstance(part, int) or whole_number(part) is not None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            break
        info = fields[part]
        title = info.title or part.replace("_", " ").capitalize()
        model = inner_model(info.annotation)
    return title


def inner_model(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = inner_model(arg)
        if found is not None:
            return found
    return None
