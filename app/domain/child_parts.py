"""The record's parts that belong to one child of it: each injury on the body map, and the
passages of shared text written again for one child's own copy.

A per-child copy (app/records/view.py) prints only its own child's rows, and a passage written
for the child in place of the shared one; app/domain/siblings.py says what else it may carry.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from app.domain.choices import BodyArea, BodySide, SharedPassage
from app.domain.fields import MAX_ROWS, ChoiceOf, LongText, PastDate, ShortText, _as_list
from app.domain.parts import RecordPart

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _child_key(value: str) -> str:
    # Whether the key is one of the record's children is the rules' to say (it may be a child
    # since removed); here only that it could be a key at all.
    if not _KEY.match(value):
        raise ValueError("Choose one of the record's children")
    return value


_Key = Annotated[str, AfterValidator(_child_key)]
# A child of the record, by their key (Child.key): chosen from the record's children on the
# form, and set by the service when the record has only one child.
ChildKey = ChoiceOf[_Key]
CHILD_KEY = Field(None, title="Which child")
# Some of the record's children (the ones images were taken of), by their keys.
ChildKeys = Annotated[list[_Key], BeforeValidator(_as_list), Field(max_length=MAX_ROWS)]


class Injury(RecordPart):
    """One entry of the body map: where the injury is and what it looks like (never a photo)."""

    child_key: ChildKey = CHILD_KEY
    area: ChoiceOf[BodyArea] = Field(None, title="Part of the body")
    side: ChoiceOf[BodySide] = Field(None, title="Front or back")
    description: LongText = Field(None, title="Description of the injury")
    size: ShortText = Field(None, title="Size, if known")
    colour: ShortText = Field(None, title="Colour, if known")
    seen_by: ShortText = Field(None, title="Seen by")
    seen_on: PastDate = Field(None, title="Date seen")


SHARED_PASSAGES: tuple[tuple[str, ...], ...] = tuple(tuple(p.value.split(".")) for p in SharedPassage)


class ChildPassage(RecordPart):
    """A shared passage as one child's own copy prints it (one that names a sibling, say)."""

    child_key: ChildKey = CHILD_KEY
    passage: ChoiceOf[SharedPassage] = Field(None, title="Which passage")
    text: LongText = Field(None, title="The passage as this child's copy prints it")
