"""The record as people read it: each field's title and its value as text.

Pages and the printed record show fields through this, so a field added to the
schema appears everywhere with its own title.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel

from app.clock import wall_clock
from app.domain.choices import (
    IN_DISCUSSION_MODES,
    OUTSIDE_MEETING_MODES,
    ContributionMode,
    contribution_label,
    discussion_words,
)
from app.domain.fields import USER_ID_FIELDS, repeated_hour

NOT_RECORDED = "Not recorded"


def as_text(value) -> str:
    if value is None or value == [] or value == "":
        return NOT_RECORDED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Enum):
        return getattr(value, "label", str(value.value))
    if isinstance(value, datetime):
        local = wall_clock(value)
        # An instant (finalised, received ...) in the hour the clocks go back says which of the
        # two it was; a typed time says so through its own `_clock` field (summary_rows).
        clock = (" GMT" if local.fold else " BST") if value.tzinfo and repeated_hour(local) else ""
        return f"{local:%-d %B %Y at %H:%M}{clock}"
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return str(value)


def summary_rows(
    model: BaseModel, only: tuple[str, ...] | None = None,
    skip: tuple[str, ...] = ("key", "kind", *USER_ID_FIELDS)
) -> list[tuple[str, str]]:
    """(title, text) for each recorded field of a model, in schema order. A chosen person's
    user id is the service's: the name beside it is what is read. A time in the hour the
    clocks go back is read with the clock it was on ("at 01:10 GMT")."""
    fields = type(model).model_fields
    return [
        (info.title or name, as_text(getattr(model, name)) + _clock(model, name))
        for name, info in fields.items()
        if name not in skip and not name.endswith("_clock")
        and (only is None or name in only)
        and getattr(model, name) not in (None, [], "", False)
    ]


def _clock(model: BaseModel, name: str) -> str:
    clock = getattr(model, f"{name}_clock", None)
    return f" {clock.value.upper()}" if clock else ""


@dataclass(frozen=True)
class ParticipantRow:
    person: object
    how: str  # how they took part, in the words of the discussion's format
    when: str


@dataclass(frozen=True)
class ParticipantGroup:
    title: str
    at_meeting: bool
    people: list[ParticipantRow]


def participant_groups(participants: list, format=None) -> list[ParticipantGroup]:
    """Participants split by how they took part, so phone and email contributions stand out.
    The wording follows the format: a discussion held by phone calls has no meeting."""
    where = discussion_words(format)
    at = "On the calls" if where == "the calls" else "At the meeting"

    def group(title: str, at_meeting: bool, modes) -> ParticipantGroup:
        return ParticipantGroup(title, at_meeting, [ParticipantRow(
            p, contribution_label(p.mode, format) if p.mode else NOT_RECORDED,
            as_text(p.contributed_at) + _clock(p, "contributed_at") if p.contributed_at
            else (at if at_meeting else ""))
            for p in participants if p.mode in modes])
    groups = [
        group(f"Took part in {where}", True, IN_DISCUSSION_MODES),
        group(f"Contributed outside {where} (phone, email or report)", False,
              OUTSIDE_MEETING_MODES),
        group("Invited but unavailable", False, {ContributionMode.UNAVAILABLE}),
        group("Invited, did not respond", False, {ContributionMode.NO_RESPONSE}),
        group("How they contributed is not recorded", False, {None}),
    ]
    return [group for group in groups if group.people]
