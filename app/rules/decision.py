"""Rules for the analysis and the decision, with the plans that follow from it."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import POLICE_OUTCOMES, S47_OUTCOMES, Agency, Outcome, YesNo
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, age_on, cannot_speak, discussion_day, missing, rule

# --- analysis -----------------------------------------------------------------------------

@rule("analysis.risks-and-strengths", "warning", "missing", "analysis",
      "The analysis sets out the risks and the strengths",
      "The record must stand alone: agencies act on its account of risk")
def _analysis(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    yield from missing(data.analysis, ("analysis",), {
        "risks": "Enter the risks to the child",
        "strengths": "Enter the strengths and protective factors",
    })


# --- decision -----------------------------------------------------------------------------

@rule("decision.required", "blocking", "missing", "decision",
      "The decision has an outcome and reasons", "The record must say what was decided and why")
def _decision(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    yield from missing(data.decision, ("decision",), {
        "outcome": "Select the outcome of the discussion",
        "reasons": "Enter the reasons for the decision",
    })


@rule("decision.nfa-consulted", "blocking", "missing", "decision",
      "Before no further action, midwifery (for an unborn child) and school (for a school-age "
      "child) have been consulted or a reason recorded",
      "Finding 9: cases were closed without checking with health or school")
def _nfa_consulted(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.decision.outcome != Outcome.NFA:
        return
    recorded = {p.agency for p in data.agency_positions if p.position}
    day = discussion_day(data) or today
    if any(c.unborn for c in data.children) and Agency.MIDWIFERY not in recorded:
        yield Failure("Before no further action, record midwifery's position",
                      ("decision", "outcome"))
    school_age = [
        c for c in data.children
        if (age := age_on(c, day)) is not None
        and settings.school_age_from <= age <= settings.school_age_to
    ]
    if school_age and Agency.SCHOOL not in recorded:
        yield Failure("Before no further action for a school-age child, record the school's "
                      "position", ("decision", "outcome"))


@rule("decision.dissent-escalated", "warning", "missing", "decision",
      "Any dissent says how it was escalated", "Disagreements must be visible and resolved")
def _dissent(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.decision.dissent and not data.decision.dissent_escalation:
        yield Failure("Enter how the dissent was escalated", ("decision", "dissent_escalation"))


@rule("decision.police-plan", "blocking", "missing", "decision",
      "Where the police are involved, the police lead, whether an ABE interview will be held "
      "(and why not), and the agreed timing and conduct of the enquiries are recorded",
      "Police read this record: a joint enquiry needs one plan that both agencies follow")
def _police_plan(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    decision = data.decision
    if decision.outcome not in POLICE_OUTCOMES:
        return
    yield from missing(decision, ("decision",), {
        "police_lead": "Enter the police lead officer",
        "abe_interview": "Say whether an Achieving Best Evidence interview will be held",
        "enquiry_conduct": "Enter the agreed timing and conduct of the police and social care "
                           "enquiries",
    })
    if decision.abe_interview == YesNo.NO and not decision.abe_not_reason:
        yield Failure("Enter why there will be no ABE interview", ("decision", "abe_not_reason"))


@rule("decision.police-evidence", "warning", "missing", "decision",
      "Where the police are involved, the crime reference and the evidence to be preserved are "
      "recorded",
      "Police read this record: evidence is lost when nobody is asked to keep it")
def _police_evidence(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.decision.outcome in POLICE_OUTCOMES:
        yield from missing(data.decision, ("decision",), {
            "crime_reference": "Enter the crime reference",
            "evidence_to_preserve": "Enter the evidence to be preserved, or 'none'",
        })


@rule("decision.legal-planning", "warning", "missing", "decision",
      "A section 47 enquiry says whether legal advice is needed and who will get it, and the "
      "contingency plan if the child cannot be seen",
      "Legal planning and access to the child were left to chance")
def _legal(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    decision = data.decision
    if decision.outcome not in S47_OUTCOMES:
        return
    yield from missing(decision, ("decision",), {
        "legal_advice": "Say whether legal advice is needed",
        "cannot_see_contingency": "Enter the contingency plan if the child cannot be seen",
    })
    if decision.legal_advice == YesNo.YES and not decision.legal_advice_by:
        yield Failure("Enter who will get legal advice", ("decision", "legal_advice_by"))


@rule("decision.family-told", "warning", "missing", "decision",
      "Whether the parents (and a child old enough) will be told of the discussion and its "
      "outcome, by whom and when, or why not",
      "Families were not told of strategy discussions about them, or why not")
def _family_told(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    decision, path = data.decision, ("decision",)
    if not decision.family_informed:
        yield Failure("Say whether the parents will be told of the discussion and its outcome",
                      (*path, "family_informed"))
    day = discussion_day(data) or today
    can_be_told = [c for c in data.children if not cannot_speak(c, day, settings)]
    if can_be_told and not decision.child_informed:
        yield Failure("Say whether the child will be told of the discussion and its outcome",
                      (*path, "child_informed"))
    if (decision.family_informed or decision.child_informed) and not decision.family_detail:
        yield Failure("Enter who will tell them and when, or why they will not be told",
                      (*path, "family_detail"))
