"""What a section's form offers before anything is saved in it, from what other sections
hold: the agencies to give positions for, the organisations to send the record to, the
update-all-agencies date."""

from datetime import date

from app.config import get_settings
from app.domain.choices import Agency, is_fixed_action
from app.domain.schema import AgencyPosition, StrategyRecordData, uk_now
from app.parsing import FormValues
from app.records.forms import rows, values_from, with_rows
from app.rules.core import discussion_day
from app.rules.due_dates import update_agencies_due
from app.rules.next_steps import agencies_involved


def carried_over(slug: str, data: StrategyRecordData, organisations=()
                 ) -> tuple[FormValues, list[str]] | None:
    """Form values offered, not yet saved, for a section nothing was recorded in yet, from
    what other sections hold; with the agencies' names for the page to say so. None when
    there is nothing to offer (or the section already holds something). `organisations` are
    the directory's active ones, for the distribution."""
    if slug == "agency-positions" and not data.agency_positions:
        named = list(dict.fromkeys(p.agency for p in data.participants if p.agency))
        rows_ = [values_from(AgencyPosition(agency=agency), "x") for agency in named]
        values = with_rows({}, "agency_positions",
                           [{k.removeprefix("x-"): v for k, v in row.items()} for row in rows_])
    elif slug == "distribution" and not data.distribution:
        offered = offered_recipients(data, organisations)
        values = {"distribution": [str(o.id) for o in offered]}
        return (values, [o.name for o in offered]) if offered else None
    else:
        return None
    return (values, [agency.label for agency in named]) if named else None


def offered_recipients(data: StrategyRecordData, organisations) -> list:
    """The organisations to tick for a record's distribution: for each agency involved, the
    organisation its participant or position named, or the only one of that kind."""
    involved = agencies_involved(data)
    named = {row.organisation_id for row in (*data.participants, *data.agency_positions)
             if row.organisation_id}
    by_agency: dict[str, list] = {}
    for organisation in organisations:
        by_agency.setdefault(organisation.agency, []).append(organisation)
    offered = []
    for agency in Agency:
        if agency not in involved:
            continue
        kind = by_agency.get(agency.value, [])
        chosen = [o for o in kind if o.id in named] or (kind if len(kind) == 1 else [])
        offered += chosen
    return offered


def offered_update_date(data: StrategyRecordData) -> date:
    """The date offered for the update-all-agencies action: the local number of working days
    after the discussion (or after today, before the discussion's date is known)."""
    return update_agencies_due(discussion_day(data) or uk_now().date(), get_settings())


def with_offered_dates(slug: str, data: StrategyRecordData, values: FormValues) -> FormValues:
    """The form values with the update-all-agencies date filled in where it is empty, so the
    user sees a date they can change rather than only an error later. Not saved until they save."""
    if slug != "actions":
        return values
    for index, row in enumerate(rows(values, "actions")):
        if is_fixed_action(row.get("kind")) and not row.get("due_date-day"):
            key = f"actions-{index}-due_date"
            return values | values_from(offered_update_date(data), key)
    return values
