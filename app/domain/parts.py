"""Parts of the record that stand on their own: the base every part is made from, and the
analysis and decision. The whole record is put together in app/domain/schema.py."""

from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from app.domain.choices import Outcome, YesNo
from app.domain.fields import ChoiceOf, LongText, ShortText, checked_times, clock_from_offset, times_asked


class RecordPart(BaseModel):
    """A part of the record (its header, a child, an action...): strict about unknown fields.
    Not to be confused with app/domain/sections.py's Section, a page of the form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TimedPart(RecordPart):
    """A part holding UK wall-clock times a person types (`TIMES`), each with its
    `<name>_clock` field: BST or GMT, asked only of a time in the hour the clocks go back, kept
    from a time sent with its UTC offset, and refused for the hour they go forward
    (app/domain/fields.py: the one place for the rule)."""

    TIMES: ClassVar[tuple[str, ...]] = ()
    # Set where two times must be in order (compared in UTC): what to say when they are not.
    TIMES_OUT_OF_ORDER: ClassVar[str | None] = None

    @model_validator(mode="before")
    @classmethod
    def _clock_from_offset(cls, raw: object) -> object:
        return clock_from_offset(raw, cls.TIMES)

    @model_validator(mode="after")
    def _times(self, info: ValidationInfo) -> Self:
        return checked_times(self, self.TIMES, times_asked(self.TIMES, info), self.TIMES_OUT_OF_ORDER)


class Analysis(RecordPart):
    history: LongText = Field(None, title="History, including earlier enquiries")
    earlier_enquiries: ChoiceOf[YesNo] = Field(
        None, title="Have there been earlier section 47 enquiries about these children?"
    )
    risks: LongText = Field(None, title="Risks")
    strengths: LongText = Field(None, title="Strengths and protective factors")


class Decision(RecordPart):
    outcome: ChoiceOf[Outcome] = Field(None, title="Outcome")
    reasons: LongText = Field(None, title="Reasons for the decision")
    dissent: LongText = Field(None, title="Any dissent")
    dissent_escalation: LongText = Field(None, title="How the dissent was escalated")
    medical_needed: ChoiceOf[YesNo] = Field(None, title="Is a medical needed?")
    medical_detail: LongText = Field(None, title="Medical details")
    family_informed: ChoiceOf[YesNo] = Field(
        None, title="Will the parents be told of the discussion and its outcome?"
    )
    child_informed: ChoiceOf[YesNo] = Field(
        None, title="Will the child be told of the discussion and its outcome?"
    )
    family_detail: LongText = Field(
        None, title="Who will tell them and when, or why not (for example, the child's safety)"
    )
    # Where the police are involved (joint enquiry or criminal investigation).
    police_lead: ShortText = Field(None, title="Police lead officer")
    crime_reference: ShortText = Field(None, title="Crime reference")
    abe_interview: ChoiceOf[YesNo] = Field(
        None, title="Will an Achieving Best Evidence (ABE) interview be held?"
    )
    abe_not_reason: LongText = Field(None, title="Why there will be no ABE interview")
    evidence_to_preserve: LongText = Field(None, title="Evidence to be preserved")
    enquiry_conduct: LongText = Field(
        None, title="Agreed timing and conduct of the police and social care enquiries"
    )
    # Legal planning, for any section 47 enquiry.
    legal_advice: ChoiceOf[YesNo] = Field(None, title="Is legal advice needed?")
    legal_advice_by: ShortText = Field(None, title="Who will get legal advice")
    cannot_see_contingency: LongText = Field(
        None, title="Contingency plan if the child cannot be seen"
    )
