"""What every part of the record shares."""

from pydantic import BaseModel, ConfigDict


class RecordPart(BaseModel):
    """A part of the record (its header, a child, an action...): strict about unknown fields.
    Not to be confused with app/domain/sections.py's Section, a page of the form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
