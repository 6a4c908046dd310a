"""The Standard Safeguarding Dataset's section 47 enquiry and initial child protection
conference tables (data-to-insight/ssd-data-model, `ssd_s47_enquiry` and
`ssd_initial_cp_conference`; see the README, "Returns"): its own column names and value
conventions. Flags are "Y"/"N"; the outcome is the SSD's JSON object with every key present;
what this service does not hold (the referral, the worker, the CP plan) is left empty."""

import json

S47_HEADER = ("s47e_s47_enquiry_id", "s47e_referral_id", "s47e_person_id",
              "s47e_s47_start_date", "s47e_s47_end_date", "s47e_s47_nfa",
              "s47e_s47_outcome_json", "s47e_s47_completed_by_team",
              "s47e_s47_completed_by_worker_id")
ICPC_HEADER = ("icpc_icpc_id", "icpc_icpc_meeting_id", "icpc_s47_enquiry_id", "icpc_person_id",
               "icpc_cp_plan_id", "icpc_referral_id", "icpc_icpc_transfer_in",
               "icpc_icpc_target_date", "icpc_icpc_date", "icpc_icpc_outcome_cp_flag",
               "icpc_icpc_outcome_json", "icpc_icpc_team", "icpc_icpc_worker_id")
# Each outcome's flag in s47e_s47_outcome_json.
OUTCOME_FLAGS = {"nfa": "NFA_FLAG", "legal": "LEGAL_ACTION_FLAG",
                 "cin_plan": "PROV_OF_SERVICES_FLAG", "icpc": "CP_CONFERENCE_FLAG",
                 "other": "OTHER_OUTCOMES_EXIST_FLAG"}
FLAGS = ("NFA_FLAG", "LEGAL_ACTION_FLAG", "PROV_OF_SERVICES_FLAG", "PROV_OF_SB_CARE_FLAG",
         "CP_CONFERENCE_FLAG", "NFA_CONTINUE_SINGLE_FLAG", "MONITOR_FLAG",
         "OTHER_OUTCOMES_EXIST_FLAG")


def enquiry_id(item) -> str:
    """The enquiry's row id: the record's reference and the child's place in it."""
    return f"{item.reference}-{item.position + 1}"


def _day(value) -> str:
    return value.isoformat() if value else ""


def outcome_json(item) -> str:
    """The SSD's outcome object, or "" while the enquiry is open."""
    if not item.outcome:
        return ""
    chosen = OUTCOME_FLAGS.get(item.outcome)
    flags = {flag: "Y" if flag == chosen else "N" for flag in FLAGS}
    return json.dumps({**flags, "TOTAL_NO_OF_OUTCOMES": 1, "OUTCOME_COMMENTS": ""},
                      separators=(",", ":"))


def s47_row(item) -> tuple:
    return (enquiry_id(item), "", item.person_id or "", _day(item.start_on),
            _day(item.completed_on),
            ("Y" if item.outcome == "nfa" else "N") if item.outcome else "",
            outcome_json(item), item.team or "", "")


def icpc_row(item) -> tuple | None:
    """The conference's row, for an enquiry whose conference was held; else None."""
    if item.icpc_on is None:
        return None
    return (f"{enquiry_id(item)}-ICPC", "", enquiry_id(item), item.person_id or "", "", "", "N",
            _day(item.icpc_target), _day(item.icpc_on), "", "", item.team or "", "")
