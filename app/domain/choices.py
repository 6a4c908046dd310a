"""Every fixed list of choices in the record, each with the label people read."""

from enum import StrEnum


class Choice(StrEnum):
    """A choice whose stored value is stable and whose label is what people read."""

    label: str  # what people read (set per member below)

    def __new__(cls, value: str, label: str) -> "Choice":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class Agency(Choice):
    CSC = "csc", "Children's social care"
    POLICE = "police", "Police"
    GP = "gp", "GP"
    HEALTH_VISITING = "health_visiting", "Health visiting"
    MIDWIFERY = "midwifery", "Midwifery"
    HOSPITAL = "hospital", "Hospital or paediatrics"
    SCHOOL_NURSING = "school_nursing", "School nursing"
    CAMHS = "camhs", "Child and adolescent mental health (CAMHS)"
    HEALTH_SAFEGUARDING = "health_safeguarding", "Health safeguarding team"
    SCHOOL = "school", "School or college"
    EARLY_YEARS = "early_years", "Nursery or early years"
    PROBATION = "probation", "Probation"
    HOUSING = "housing", "Housing"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    SUBSTANCE_MISUSE = "substance_misuse", "Drug and alcohol service"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    OTHER = "other", "Other agency"


HEALTH_AGENCIES = frozenset(
    {
        Agency.GP,
        Agency.HEALTH_VISITING,
        Agency.MIDWIFERY,
        Agency.HOSPITAL,
        Agency.SCHOOL_NURSING,
        Agency.CAMHS,
        Agency.HEALTH_SAFEGUARDING,
    }
)


class DiscussionFormat(Choice):
    IN_PERSON = "in_person", "Meeting in person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone calls"
    MIXED = "mixed", "Mixed"


class UkClock(Choice):
    """Which of the two 1am-to-2am hours on the night the clocks go back a time was in."""

    BST = "bst", "BST: the first time, before the clocks went back"
    GMT = "gmt", "GMT: the second time, after the clocks went back"


class Sequence(Choice):
    FIRST = "first", "First strategy discussion"
    FURTHER = "further", "Further strategy discussion"


class LedBy(Choice):
    DAY_TEAM = "day_team", "Day team"
    EDT = "edt", "Emergency Duty Team (EDT)"


class Communication(Choice):
    VERBAL = "verbal", "Verbal"
    PRE_VERBAL = "pre_verbal", "Pre-verbal"
    NON_VERBAL = "non_verbal", "Non-verbal"
    LIMITED = "limited", "Limited verbal"


class HarmCategory(Choice):
    PHYSICAL = "physical", "Physical abuse"
    SEXUAL = "sexual", "Sexual abuse"
    EMOTIONAL = "emotional", "Emotional abuse"
    NEGLECT = "neglect", "Neglect"


class ImmediateAction(Choice):
    POLICE_PROTECTION = "police_protection", "Police protection"
    EPO = "epo", "Emergency protection order"
    SAFETY_PLAN = "safety_plan", "Safety plan agreed with family"
    MEDICAL = "medical", "Medical examination arranged"
    OTHER = "other", "Other"


class YesNo(Choice):
    YES = "yes", "Yes"
    NO = "no", "No"


class ContributionMode(Choice):
    # Labels name "the meeting"; `contribution_label` words them for a discussion held by
    # phone. Stored values never change meaning: "phone_outside" is outside the discussion.
    IN_PERSON = "in_person", "Attended in person"
    VIDEO = "video", "Attended by video"
    PHONE_CALL = "phone_call", "By phone, taking part in the meeting"
    PHONE_OUTSIDE = "phone_outside", "By phone, outside the meeting"
    EMAIL_OUTSIDE = "email_outside", "By email, outside the meeting"
    WRITTEN_REPORT = "written_report", "Written report"
    UNAVAILABLE = "unavailable", "Invited but unavailable"
    NO_RESPONSE = "no_response", "Invited, did not respond"


# Taking part in the discussion itself: in the room, by video or on the call.
IN_DISCUSSION_MODES = frozenset(
    {ContributionMode.IN_PERSON, ContributionMode.VIDEO, ContributionMode.PHONE_CALL}
)
# Contributions made outside the meeting itself: the audit found these were lost,
# so each must say when it was made.
OUTSIDE_MEETING_MODES = frozenset(
    {ContributionMode.PHONE_OUTSIDE, ContributionMode.EMAIL_OUTSIDE, ContributionMode.WRITTEN_REPORT}
)
# Relayed to the discussion by someone who took part in it.
RELAYED_MODES = frozenset({ContributionMode.PHONE_OUTSIDE, ContributionMode.EMAIL_OUTSIDE})
NOT_TAKING_PART_MODES = frozenset({ContributionMode.UNAVAILABLE, ContributionMode.NO_RESPONSE})


def discussion_words(format: object) -> str:
    """What the discussion was, as its wording says it: a discussion held by phone calls has
    no meeting."""
    return "the calls" if format == DiscussionFormat.PHONE else "the meeting"


def contribution_label(mode: "ContributionMode", format: object) -> str:
    return str(mode.label).replace("the meeting", discussion_words(format))


def contribution_options(format: object) -> list[tuple[str, str]]:
    return [(mode.value, contribution_label(mode, format)) for mode in ContributionMode]


class Position(Choice):
    HAS_CONCERNS = "has_concerns", "Has concerns"
    NO_CONCERNS = "no_concerns", "Contacted: no safeguarding concerns"
    NOT_CONTACTED = "not_contacted", "Not contacted"


class Outcome(Choice):
    S47_SINGLE = "s47_single", "Section 47 enquiry (single agency)"
    S47_JOINT = "s47_joint", "Joint section 47 enquiry with police"
    S47_CRIMINAL = "s47_criminal", "Section 47 enquiry and police criminal investigation"
    CIN = "cin", "Child in need (section 17)"
    EARLY_HELP = "early_help", "Early help"
    NFA = "nfa", "No further action"
    FURTHER_STRATEGY = "further_strategy", "Further strategy discussion"


S47_OUTCOMES = frozenset({Outcome.S47_SINGLE, Outcome.S47_JOINT, Outcome.S47_CRIMINAL})


class ActionKind(Choice):
    TASK = "task", "Action"
    UPDATE_AGENCIES = "update_agencies", "Update all agencies"


def is_fixed_action(kind: str | None) -> bool:
    """Whether an action of this kind is the update of all agencies every record carries: it
    can be neither removed from the record nor cancelled (only done, or given a new date)."""
    return kind == ActionKind.UPDATE_AGENCIES


class ActionStatus(Choice):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class RecordStatus(Choice):
    DRAFT = "draft", "Draft"
    FINALISED = "finalised", "Finalised"
    AUTHORISED = "authorised", "Authorised"
    AMENDED = "amended", "Amended"


# A record in force after its discussion: finalised, and perhaps authorised since. Only such a
# record has follow-up recorded, and only such a version is sent, listed as due or queued.
FINAL_STATUSES = (RecordStatus.FINALISED, RecordStatus.AUTHORISED)


class ReferrerKind(Choice):
    PROFESSIONAL = "professional", "A professional"
    FAMILY = "family", "A family member"
    PUBLIC = "public", "A member of the public"
    CHILD = "child", "The child"


class ImagesTakenBy(Choice):
    MEDICAL = "medical", "Medical staff (doctor, nurse or paediatrician)"
    POLICE = "police", "Police (forensic or scene officer)"
    SOCIAL_CARE = "social_care", "Social care"
    SCHOOL = "school", "School or nursery staff"
    FAMILY = "family", "A parent or family member"
    OTHER = "other", "Someone else"


class BodyArea(Choice):
    HEAD = "head", "Head and scalp"
    FACE = "face", "Face"
    EARS = "ears", "Ears"
    NECK = "neck", "Neck"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    UPPER_BACK = "upper_back", "Upper back"
    LOWER_BACK = "lower_back", "Lower back"
    BUTTOCKS = "buttocks", "Buttocks"
    GENITAL = "genital", "Genital area"
    LEFT_ARM = "left_arm", "Left arm"
    RIGHT_ARM = "right_arm", "Right arm"
    LEFT_HAND = "left_hand", "Left hand"
    RIGHT_HAND = "right_hand", "Right hand"
    LEFT_LEG = "left_leg", "Left leg"
    RIGHT_LEG = "right_leg", "Right leg"
    LEFT_FOOT = "left_foot", "Left foot"
    RIGHT_FOOT = "right_foot", "Right foot"


class BodySide(Choice):
    FRONT = "front", "Front"
    BACK = "back", "Back"


# Decisions in which the police act: they need the criminal investigation's plan in the record.
POLICE_OUTCOMES = frozenset({Outcome.S47_JOINT, Outcome.S47_CRIMINAL})


class ReferralForm(Choice):
    COMBINED = "combined", "Combined early help and child protection referral form"
    CAF = "caf", "Common Assessment Framework (CAF)"
    CRIF = "crif", "Child referral and information form (CRIF)"
    LETTER = "letter", "Letter or email"
    PHONE = "phone", "Phone call"
    OTHER = "other", "Other"


class RequestStatus(Choice):
    AWAITING = "awaiting", "Waiting for social care"
    CONVENED = "convened", "Strategy discussion convened"
    DECLINED = "declined", "Declined"


class ReturnReason(Choice):
    """Why a manager returned a record to its author: chosen (one or more) beside the
    comments, so the live audit counts categories and never quotes anyone's words."""

    PARTICIPANTS = "participants", "Who took part is unclear or incomplete"
    AGENCY_POSITION = "agency_position", "An agency's position is missing"
    CHILD_EXPERIENCE = "child_experience", "The child's experience is missing or not observed"
    DECISION = "decision", "The decision or its reasons are unclear"
    ACTIONS = "actions", "Actions, owners or timescales are missing"
    DISTRIBUTION = "distribution", "Distribution, or who is told, is incomplete"
    FACTUAL_ERROR = "factual_error", "A factual error"
    OTHER = "other", "Other"


class JoinBy(Choice):
    """How an agency asked for information by link can join the discussion (issue 23)."""

    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "By video"
    PHONE = "phone", "By phone"


class SharedPassage(Choice):
    """The shared text a per-child copy may print written for its own child instead."""

    SUMMARY = "grounds.summary", "Summary of the concern"
    HISTORY = "analysis.history", "History, including earlier enquiries"
    RISKS = "analysis.risks", "Risks"
    STRENGTHS = "analysis.strengths", "Strengths and protective factors"
    REASONS = "decision.reasons", "Reasons for the decision"
    MEDICAL = "decision.medical_detail", "Medical details"
    FAMILY = "decision.family_detail", "Who will tell the family and when"
    NEXT = "next_steps.notes", "Other next steps"
