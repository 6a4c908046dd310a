"""An organisation a record is sent to, and the named contacts chosen for it (issue 23)."""

from typing import Annotated, ClassVar

from pydantic import Field, StrictInt

from app.domain.choices import Agency
from app.domain.fields import ChoiceOf, ShortText
from app.domain.parts import RecordPart


class Recipient(RecordPart):
    """An organisation the record is sent to. Named by its id in the directory; the service
    fills in its name and kind of agency when the record is saved, so a finalised version
    keeps them as they were when it was sent."""

    # The form's checkbox value for a recipient (app/records/forms.py).
    FORM_VALUE: ClassVar[str] = "organisation_id"

    organisation_id: Annotated[StrictInt, Field(gt=0, lt=2**31)] = Field(title="Organisation")
    agency: ChoiceOf[Agency] = Field(None, title="Kind of agency")
    name: ShortText = Field(None, title="Organisation")
    # Named contacts of the organisation (app/organisations/contacts.py) chosen for this
    # record; none means its safeguarding mailbox (app/sending/service.addresses).
    contact_ids: list[Annotated[StrictInt, Field(gt=0, lt=2**31)]] = Field(
        [], max_length=20, title="Named contacts")

    def form_values(self) -> list[str]:
        """The form's ticked boxes for this recipient: the organisation and its contacts."""
        return [str(self.organisation_id),
                *(f"{self.organisation_id}.{c}" for c in self.contact_ids)]
