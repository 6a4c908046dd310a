"""The strategy record's shape: one set of types for the form, the JSON API and the rules.

Validation here checks only that what was given is well formed (real dates, known
choices, sane lengths). Whether the record is complete enough to finalise is the
rules' job (app/rules), so a draft can be saved with anything filled in.
"""

from datetime import date, timedelta
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.clock import uk_now
from app.config import get_settings
from app.domain.child_parts import (  # noqa: F401  (Injury and the passages are the record's parts)
    SHARED_PASSAGES,
    ChildKeys,
    ChildPassage,
    Injury,
)
from app.domain.choices import (
    ActionKind,
    ActionStatus,
    Agency,
    Communication,
    ContributionMode,
    DiscussionFormat,
    HarmCategory,
    ImagesTakenBy,
    ImmediateAction,
    LedBy,
    Position,
    ReferrerKind,
    Sequence,
    UkClock,
    YesNo,
)
from app.domain.fields import (
    MAX_ROWS,
    UPDATE_AGENCIES_TEXT,
    AnyDate,
    ChoiceOf,
    Email,
    LongText,
    OrganisationId,
    PastDate,
    PastDateTime,
    Phone,
    Rows,
    ShortText,
    UserId,
    _as_list,
    _checking_input,
    _new_key,
    _recipient_ids,
    child_title,
)
from app.domain.identifiers import NhsNumber, PersonId, Upn
from app.domain.parts import Analysis, Decision, RecordPart, TimedPart
from app.domain.recipient import Recipient


class Header(TimedPart):
    TIMES = ("concern_at", "discussion_at")
    TIMES_OUT_OF_ORDER = "The discussion must be on or after the time the concern arose"

    concern_at: PastDateTime = Field(None, title="Date and time the concern arose")
    # Asked only of a time in the hour the clocks go back, which happens twice (fields.py).
    concern_at_clock: ChoiceOf[UkClock] = Field(None, title="When the concern arose: BST or GMT")
    discussion_at: PastDateTime = Field(None, title="Date and time of the discussion")
    discussion_at_clock: ChoiceOf[UkClock] = Field(None, title="The discussion: BST or GMT")
    format: ChoiceOf[DiscussionFormat] = Field(None, title="Format of the discussion")
    sequence: ChoiceOf[Sequence] = Field(None, title="First or further discussion")
    previous_reference: ShortText = Field(None, title="Reference of the earlier discussion")
    # A further discussion's conference is counted from the discussion that started the
    # section 47 enquiry, not from this one.
    s47_started_on: AnyDate = Field(
        None, title="Date of the discussion that started the section 47 enquiry"
    )
    # Social-care staff are chosen from the service's users; someone outside the service is
    # typed. With an id, the name is filled in from the user on every save.
    chair_user_id: UserId = Field(None, title="Chair (social-care staff)")
    chair: ShortText = Field(None, title="Chair")
    minute_taker_user_id: UserId = Field(None, title="Minute-taker (social-care staff)")
    minute_taker: ShortText = Field(None, title="Minute-taker")
    # Whom a partner agency reading the printed record alone calls: named on its first page.
    csc_contact_name: ShortText = Field(None, title="Social-care contact for this record")
    csc_contact_phone: Phone = Field(None, title="Social-care contact's phone")
    led_by: ChoiceOf[LedBy] = Field(None, title="Led by")
    day_team_review_due: AnyDate = Field(None, title="Day-team review due by")
    requested_by: ChoiceOf[Agency] = Field(None, title="Agency that requested the discussion")
    request_reason: LongText = Field(None, title="Why it was requested")



class Child(TimedPart):
    TIMES = ("seen_at", "observed_at")

    # A stable key, so the children and experience pages can each edit their own
    # fields of the same child even when rows are added or removed.
    key: Annotated[str, BeforeValidator(lambda value: value or _new_key())] = Field(
        default_factory=_new_key, max_length=40, pattern=r"^[A-Za-z0-9_-]+$"
    )
    name: ShortText = Field(None, title="Name")
    # Strict: in JSON 24.5 or true is not a number of weeks, and 1 or "yes" is not true.
    # The HTML form's typed text is converted before validation (forms.py).
    unborn: StrictBool = Field(False, title="Unborn")
    date_of_birth: PastDate = Field(None, title="Date of birth")
    expected_delivery_date: AnyDate = Field(None, title="Expected date of delivery")
    gestation_weeks: StrictInt | None = Field(None, ge=0, title="Gestation (weeks)")
    # Linking the record to the child's files (issue 24): never in what the partnership reads.
    person_id: PersonId = Field(None, title="Case-system person ID")
    nhs_number: NhsNumber = Field(None, title="NHS number")
    upn: Upn = Field(None, title="Unique pupil number (UPN)")
    communication: ChoiceOf[Communication] = Field(None, title="How the child communicates")
    needs: LongText = Field(None, title="Interpreter or disability needs")
    address: LongText = Field(None, title="Address")
    parental_responsibility: LongText = Field(None, title="Who holds parental responsibility")
    household: LongText = Field(None, title="Household members, including fathers and male carers")
    school: ShortText = Field(None, title="School or nursery")
    gp: ShortText = Field(None, title="GP")
    health_visitor: ShortText = Field(None, title="Health visitor")
    midwife: ShortText = Field(None, title="Named midwife")
    # Unborn babies only: what agencies need to protect a baby at and after birth.
    maternity_unit: ShortText = Field(None, title="Maternity unit")
    birth_plan: LongText = Field(
        None, title="Birth or contingency plan, including if the baby comes early"
    )
    out_of_hours_alerted: ChoiceOf[YesNo] = Field(
        None, title="Has the out-of-hours (EDT) team been alerted to the birth plan?"
    )
    parents_needs: LongText = Field(
        None, title="Parents' additional needs, such as a learning disability"
    )
    adult_services_involved: ChoiceOf[YesNo] = Field(
        None, title="Are adult services involved with the parents?"
    )
    # The child's experience: what was seen and heard of this child's daily life.
    seen: ChoiceOf[YesNo] = Field(None, title="Has the child been seen?")
    seen_at: PastDateTime = Field(None, title="When the child was seen")
    seen_at_clock: ChoiceOf[UkClock] = Field(None, title="When the child was seen: BST or GMT")
    seen_by: ShortText = Field(None, title="Seen by")
    not_seen_reason: LongText = Field(None, title="Why the child has not been seen")
    voice: LongText = Field(None, title="What the child said or showed")
    # For a born child who cannot speak, what was observed is asked as its parts (each
    # required: rules/experience.py); `observations`, the single text records held before, is
    # still kept and printed (and is what is asked of an unborn baby).
    observed_care: LongText = Field(None, title="Care and routines observed")
    observed_presentation: LongText = Field(None, title="How the child presented")
    observed_interaction: LongText = Field(None, title="How the child and their carers interacted")
    observed_by: ShortText = Field(None, title="Who observed the child")
    observed_at: PastDateTime = Field(None, title="When they were observed")
    observed_at_clock: ChoiceOf[UkClock] = Field(None, title="When they were observed: BST or GMT")
    observations: LongText = Field(
        None, title="What was observed: care, routines, presentation, interaction with carers"
    )

    @property
    def cannot_speak(self) -> bool:
        """A child whose experience must be told through what was observed."""
        return self.unborn or self.communication in (Communication.PRE_VERBAL, Communication.NON_VERBAL)

    def title(self, index: int) -> str:
        return child_title(self.name, index)

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value and info.data.get("unborn"):
            raise ValueError("An unborn child has an expected date of delivery, not a date of birth")
        return value

    @field_validator("upn")
    @classmethod
    def _upn_born(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("unborn"):
            raise ValueError("An unborn child has no unique pupil number")
        return value

    @field_validator("expected_delivery_date")
    @classmethod
    def _edd_not_long_past(cls, value: date | None, info: ValidationInfo) -> date | None:
        if not _checking_input(info):
            return value
        earliest = uk_now().date() - timedelta(days=get_settings().edd_past_limit_days)
        if value and value < earliest:
            raise ValueError(
                "The expected date of delivery is long past: if the baby has been born, "
                "record their date of birth instead"
            )
        return value

    @field_validator("gestation_weeks")
    @classmethod
    def _gestation(cls, value: int | None) -> int | None:
        limit = get_settings().max_gestation_weeks
        if value is not None and value > limit:
            raise ValueError(f"Gestation must be between 0 and {limit} weeks")
        return value


class Grounds(RecordPart):
    summary: LongText = Field(None, title="Summary of the concern")
    source: ShortText = Field(None, title="Source of the concern")
    categories: Annotated[list[HarmCategory], BeforeValidator(_as_list),
                        Field(max_length=len(HarmCategory))] = Field([], title="Category of harm")
    immediate_actions: Annotated[list[ImmediateAction], BeforeValidator(_as_list),
                               Field(max_length=len(ImmediateAction))] = Field([], title="Action already taken")
    immediate_actions_detail: LongText = Field(None, title="Details of action already taken")
    referrer_kind: ChoiceOf[ReferrerKind] = Field(None, title="Who referred")
    referrer_name: ShortText = Field(None, title="Referrer")
    referrer_agency: ChoiceOf[Agency] = Field(None, title="Referrer's agency")
    referral_form: ShortText = Field(None, title="Referral form received")
    referrer_discussed_with: ShortText = Field(
        None, title="Manager or safeguarding lead the referrer discussed it with"
    )
    referrer_informed_on: PastDate = Field(None, title="Date the referrer was told the outcome")
    referrer_informed_how: ShortText = Field(None, title="How the referrer was told")
    images_taken: ChoiceOf[YesNo] = Field(None, title="Were images of injuries taken?")
    images_of: ChildKeys = Field([], title="Which children the images are of")
    images_taken_by: ShortText = Field(None, title="Images taken by")
    images_taken_role: ChoiceOf[ImagesTakenBy] = Field(None, title="Role of the person who took them")
    images_policy: ShortText = Field(None, title="Under which policy")
    # What happened to them: what clears the warning on images not taken by medical staff.
    images_kept_where: ShortText = Field(None, title="Where the images are kept now")
    images_kept_by: ShortText = Field(None, title="Who holds the images")
    images_shared_with: ShortText = Field(None, title="Who the images have been shared with")
    body_map: ChoiceOf[YesNo] = Field(None, title="Body map completed")
    # The person alleged to have caused harm, where known.
    alleged_name: ShortText = Field(None, title="Person alleged to have caused harm")
    alleged_relationship: ShortText = Field(None, title="Their relationship to the child")
    alleged_under_18: ChoiceOf[YesNo] = Field(None, title="Are they under 18?")
    # A child alleged to have caused harm is a child at risk too (rules/grounds.py).
    alleged_age: StrictInt | None = Field(None, ge=0, le=120, title="Their age")
    alleged_lives_at: LongText = Field(None, title="Where they live")
    alleged_responsible: ShortText = Field(
        None, title="Who holds parental responsibility for them")
    alleged_own_discussion: LongText = Field(
        None, title="Their own strategy discussion: when, or its reference"
    )
    alleged_contact_with_children: ChoiceOf[YesNo] = Field(
        None, title="Do they have contact with other children?"
    )
    alleged_other_children: LongText = Field(
        None, title="Other children they have contact with, outside the household"
    )


class Participant(TimedPart):
    TIMES = ("contributed_at",)

    user_id: UserId = Field(None, title="Social-care staff member")
    name: ShortText = Field(None, title="Name")
    agency: ChoiceOf[Agency] = Field(None, title="Agency")
    organisation_id: OrganisationId = Field(None, title="Organisation (from the directory)")
    organisation: ShortText = Field(None, title="Organisation or team")
    role: ShortText = Field(None, title="Role")
    mode: ChoiceOf[ContributionMode] = Field(None, title="How they contributed")
    phone: Phone = Field(None, title="Phone")
    email: Email = Field(None, title="Email")
    contributed_at: PastDateTime = Field(None, title="When they contributed")
    contributed_at_clock: ChoiceOf[UkClock] = Field(None, title="When they contributed: BST or GMT")
    relayed_by: ShortText = Field(None, title="Who relayed it to the discussion")


class AgencyPosition(RecordPart):
    agency: ChoiceOf[Agency] = Field(None, title="Agency")
    organisation_id: OrganisationId = Field(None, title="Organisation (from the directory)")
    organisation: ShortText = Field(None, title="Organisation or team")
    position: ChoiceOf[Position] = Field(None, title="Position")
    concerns: LongText = Field(None, title="Concerns")
    not_contacted_reason: LongText = Field(None, title="Why not contacted")


class Action(RecordPart):
    kind: ActionKind = Field(ActionKind.TASK, title="Kind")
    description: LongText = Field(None, title="Action")
    owner: ShortText = Field(None, title="Owner")
    agency: ChoiceOf[Agency] = Field(None, title="Agency")
    due_date: AnyDate = Field(None, title="Due date")
    status: ActionStatus = Field(ActionStatus.OPEN, title="Status")

    @model_validator(mode="after")
    def _fixed_update_text(self) -> "Action":
        # The update-all-agencies action always says the same thing; only its date,
        # owner and status vary.
        if self.kind == ActionKind.UPDATE_AGENCIES:
            self.description = UPDATE_AGENCIES_TEXT
            self.agency = self.agency or Agency.CSC
            self.owner = self.owner or Agency.CSC.label
        return self


class NextSteps(RecordPart):
    icpc_date: AnyDate = Field(None, title="Initial child protection conference date")
    next_discussion_on: AnyDate = Field(None, title="Date of the next strategy discussion")
    notes: LongText = Field(None, title="Other next steps")


class StrategyRecordData(RecordPart):
    """Everything a strategy record says: the JSON API's body and every form's target."""

    header: Header = Field(default_factory=Header)
    children: Rows[Child] = []
    grounds: Grounds = Field(default_factory=Grounds)
    injuries: Rows[Injury] = []  # each belongs to a child (child_parts.py)
    participants: Rows[Participant] = []
    agency_positions: Rows[AgencyPosition] = []
    analysis: Analysis = Field(default_factory=Analysis)
    decision: Decision = Field(default_factory=Decision)
    actions: Annotated[
        # One row more than a person may enter: the update-all-agencies action the service
        # adds itself, so what is stored always validates again.
        list[Action], BeforeValidator(_as_list), Field(max_length=MAX_ROWS + 1)] = []
    next_steps: NextSteps = Field(default_factory=NextSteps)
    child_passages: Rows[ChildPassage] = []
    distribution: Annotated[list[Recipient], BeforeValidator(_recipient_ids),
                            Field(max_length=MAX_ROWS)] = Field(
        [], title="Organisations that receive the record")

    @field_validator("actions")
    @classmethod
    def _tasks_within_limit(cls, actions: list[Action]) -> list[Action]:
        tasks = sum(a.kind != ActionKind.UPDATE_AGENCIES for a in actions)
        if tasks > MAX_ROWS:
            raise ValueError(
                f"A record holds at most {MAX_ROWS} actions besides the update-all-agencies action"
            )
        return actions

    @model_validator(mode="after")
    def _one_update_action(self) -> "StrategyRecordData":
        if sum(a.kind == ActionKind.UPDATE_AGENCIES for a in self.actions) > 1:
            raise ValueError("A record has exactly one update-all-agencies action")
        self.distribution = list({r.organisation_id: r for r in self.distribution}.values())
        if len(self.children) == 1:  # a row of a one-child record is that child's: not asked
            only = self.children[0].key
            for injury in self.injuries:
                injury.child_key = injury.child_key or only
            for passage in self.child_passages:
                passage.child_key = passage.child_key or only
            if self.grounds.images_taken == YesNo.YES and not self.grounds.images_of:
                self.grounds.images_of = [only]
        return self

    def child_title(self, child: Child) -> str:
        """The child's name, or "Child N" by their place in the whole record (also in a per-child copy)."""
        index = next((i for i, c in enumerate(self.children) if c.key == child.key), 0)
        return child.title(index)

    @property
    def update_action(self) -> Action | None:
        return next((a for a in self.actions if a.kind == ActionKind.UPDATE_AGENCIES), None)


def new_update_action() -> Action:
    return Action(kind=ActionKind.UPDATE_AGENCIES)


def with_update_action(data: StrategyRecordData, previous: Action | None = None
                       ) -> StrategyRecordData:
    """The record with its update-all-agencies action restored if a client left it out."""
    if data.update_action is not None:
        return data
    restored = previous or new_update_action()
    return data.model_copy(update={"actions": [restored, *data.actions]})
