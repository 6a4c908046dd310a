"""The census's checks on a Section47 item, run on every export (issue 24). Each says what
failed and which field fixes it; the service lists them with the record and the child.

Following the DfE's Children in Need census validation rules (see the README, "Returns"):
- the child is identified (LAchildID is mandatory: here, the case-system person ID);
- 8615: S47ActualStartDate is present and not after DateOfInitialCPC;
- DateOfInitialCPC and ICPCnotRequired = true exclude each other;
- a query (not an error): a conference held more than 15 working days after the start, that
  is after InitialCPCtarget, which the service's own working-day rules compute
  (rules.next_steps.conference_due, ICPC_WORKING_DAYS).
"""

from dataclasses import dataclass
from datetime import date

from app.config import Settings


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str  # "error" or "query"
    message: str
    # What fixes it: "person_id" (the children section) or "course" (the follow-up page).
    fix: str


def problems(item, settings: Settings) -> list[Problem]:
    """What is wrong with one Section47 item (its start_on, icpc_target, icpc_on,
    icpc_not_required and person_id), in the order the checks are listed above."""
    found = []
    if not item.person_id:
        found.append(Problem("LAchildID", "error",
                             f"The child has no {settings.person_id_label}: the census counts "
                             "each child by it", "person_id"))
    start, held = item.start_on, item.icpc_on
    if start is None or (held is not None and start > held):
        found.append(Problem("8615", "error",
                             "Section 47 Enquiry Start Date must be present and cannot be later "
                             "than the date of the initial Child Protection Conference",
                             "course"))
    if held is not None and item.icpc_not_required:
        found.append(Problem("ICPCnotRequired", "error",
                             "An initial conference date is recorded, and the conference is also "
                             "recorded as not required: keep one", "course"))
    target: date | None = item.icpc_target
    if held is not None and target is not None and held > target:
        found.append(Problem("InitialCPCtarget", "query",
                             f"The initial conference was held on {held:%-d %B %Y}, more than "
                             f"{settings.icpc_working_days} working days after the enquiry "
                             f"started (due by {target:%-d %B %Y})", "course"))
    return found
