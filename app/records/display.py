"""The record as people read it: each field's title and its value as text.

Pages and the printed record show fields through this, so a field added to the
schema appears everywhere with its own title.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel

from app.clock import wall_clock
from app.domain.choices import OUTSIDE_MEETING_MODES, ContributionMode
from app.domain.fields import USER_ID_FIELDS

NOT_RECORDED = "Not recorded"


def as_text(value) -> str:
    if value is None or value == [] or value == "":
        return NOT_RECORDED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Enum):
        return getattr(value, "label", str(value.value))
    if isinstance(value, datetime):
        value = wall_clock(value)
        return f"{value:%-d %B %Y at %H:%M}"
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
    user id is the service's: the name beside it is what is read."""
    fields = type(model).model_fields
    return [
        (info.title or name, as_text(getattr(model, name)))
        for name, info in fields.items()
        if name not in skip
        and (only is None or name in only)
        and getattr(model, name) not in (None, [], "", False)
    ]


@dataclass(frozen=True)
class ParticipantGroup:
    title: str
    at_meeting: bool
    people: list


def participant_groups(participants: list) -> list[ParticipantGroup]:
    """Participants split by how they took part, so phone and email contributions stand out."""
    at_meeting = {ContributionMode.IN_PERSON, ContributionMode.VIDEO}
    groups = [
        ParticipantGroup("Took part in the meeting", True,
                         [p for p in participants if p.mode in at_meeting]),
        ParticipantGroup("Contributed outside the meeting (phone, email or report)", False,
                         [p for p in participants if p.mode in OUTSIDE_MEETING_MODES]),
        ParticipantGroup("Invited but unavailable", False,
                         [p for p in participants if p.mode == ContributionMode.UNAVAILABLE]),
        ParticipantGroup("How they contributed is not recorded", False,
                         [p for p in participants if p.mode is None]),
    ]
    return [group for group in groups if group.people]
