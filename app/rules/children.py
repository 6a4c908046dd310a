"""Rules for the children: who they are, and for an unborn baby, the plans for the birth."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, discussion_day, missing, rule

# --- children -----------------------------------------------------------------------------

@rule("children.present", "blocking", "missing", "children",
      "At least one child is recorded", "The record is about named children")
def _children_present(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if not data.children:
        yield Failure("Add the child or children the discussion is about", ("children",))


@rule("children.identity", "blocking", "missing", "children",
      "Every child has a name, a date of birth (or an expected date of delivery and gestation "
      "if unborn) and, once born, how they communicate",
      "Finding 7: an unborn child has an expected date of delivery and gestation")
def _children_identity(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, child in enumerate(data.children):
        who = child.title(i)
        path = ("children", i)
        if not child.name:
            yield Failure(f"Enter child {i + 1}'s name, or 'Unborn baby of' and the mother's "
                          "name", (*path, "name"))
        if child.unborn:
            yield from missing(child, path, {
                "expected_delivery_date": f"Enter {who}'s expected date of delivery",
                "gestation_weeks": f"Enter {who}'s gestation in weeks",
            })
        elif not child.date_of_birth:
            yield Failure(f"Enter {who}'s date of birth, or say the child is unborn",
                          (*path, "date_of_birth"))
        if not child.communication and not child.unborn:
            yield Failure(f"Select how {who} communicates", (*path, "communication"))


@rule("children.edd-gestation", "warning", "conflict", "children",
      "An unborn child's expected date of delivery and gestation agree, within a week",
      "Finding 7: pre-birth timings were worked out from a wrong gestation")
def _edd_agrees(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    day = discussion_day(data) or today
    for i, child in enumerate(data.children):
        if not (child.unborn and child.expected_delivery_date and child.gestation_weeks is not None):
            continue
        # A pregnancy is due at 40 weeks: the gestation the EDD implies on the discussion day.
        implied = 40 - (child.expected_delivery_date - day).days / 7
        if abs(implied - child.gestation_weeks) > 1:
            yield Failure(
                f"{child.title(i)}'s gestation ({child.gestation_weeks} weeks) does not match the "
                f"expected date of delivery, which means about {implied:.0f} weeks on "
                f"{day:%-d %B %Y}: check both", ("children", i, "gestation_weeks"))


@rule("children.unborn-plans", "warning", "missing", "children",
      "An unborn child's maternity unit, named midwife, birth or contingency plan and whether "
      "the out-of-hours team is alerted are recorded, and adult services for parents with "
      "additional needs",
      "Unborn-baby audit: birth plans and out-of-hours alerts were missing")
def _unborn_plans(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, child in enumerate(data.children):
        if not child.unborn:
            continue
        who, path = child.title(i), ("children", i)
        yield from missing(child, path, {
            "maternity_unit": f"Enter the maternity unit where {who} is expected to be born",
            "midwife": f"Enter {who}'s named midwife",
            "birth_plan": f"Enter the birth or contingency plan for {who}, including an early birth",
            "out_of_hours_alerted": f"Say whether the out-of-hours team has been alerted to "
                                    f"{who}'s birth plan",
        })
        if child.parents_needs and not child.adult_services_involved:
            yield Failure(f"Say whether adult services are involved with {who}'s parents",
                          (*path, "adult_services_involved"))


@rule("children.person-id", "warning", "missing", "children",
      "Every child has the local authority's case-system person ID",
      "The record links to the child's case file and the returns count the child by it")
def _person_id(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, child in enumerate(data.children):
        if not child.person_id:
            yield Failure(f"Enter {child.title(i)}'s {settings.person_id_label}",
                          ("children", i, "person_id"))
