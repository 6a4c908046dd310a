"""An agency's contribution before the discussion, sent by personal link (issue 23): kept as
received, beside the record (app/links/contributions.py), never part of its document."""

from typing import ClassVar

from pydantic import Field

from app.domain.choices import JoinBy, Position, YesNo
from app.domain.fields import ChoiceOf, LongText, Phone, ShortText
from app.domain.parts import RecordPart


class AgencyContribution(RecordPart):
    """What a contact asked for information (app/links/contributions.py) sends for their
    agency. Unlike the record, it is complete when sent: it is kept as received."""

    known: ChoiceOf[YesNo] = Field(None, title="Is the child or family known to your agency?")
    position: ChoiceOf[Position] = Field(None, title="Does your agency have concerns?")
    concerns: LongText = Field(None, title="What are your concerns?")
    knowledge: LongText = Field(None, title="What your agency knows of the child and family")
    name: ShortText = Field(None, title="Your name")
    role: ShortText = Field(None, title="Your role")
    phone: Phone = Field(None, title="Your phone number")
    can_join: ChoiceOf[YesNo] = Field(None, title="Can you join the strategy discussion?")
    join_by: ChoiceOf[JoinBy] = Field(None, title="How can you join?")

    REQUIRED: ClassVar[dict[str, str]] = {
        "known": "Say whether the child or family is known to your agency",
        "position": "Say whether your agency has concerns",
        "knowledge": "Enter what your agency knows of the child and family",
        "name": "Enter your name", "role": "Enter your role", "phone": "Enter your phone number",
        "can_join": "Say whether you can join the strategy discussion"}

    def missing(self) -> dict[str, str]:
        """What must still be given before it can be sent, by field."""
        missing = {key: message for key, message in self.REQUIRED.items()
                   if getattr(self, key) is None}
        if self.position == Position.NOT_CONTACTED:
            missing["position"] = "Say whether your agency has concerns"
        if self.position == Position.HAS_CONCERNS and not self.concerns:
            missing["concerns"] = "Enter your agency's concerns"
        if self.can_join == YesNo.YES and self.join_by is None:
            missing["join_by"] = "Say how you can join"
        return missing
