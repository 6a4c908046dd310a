"""The whole record as people read it: one view that the record page and the printed record
both render, so they show the same facts in the same words.

Templates only lay out what is here; every wording and derived fact is decided below.
"""

from dataclasses import dataclass
from datetime import date

from app.clock import uk_today
from app.domain.child_parts import SHARED_PASSAGES
from app.domain.choices import ActionKind, Position, YesNo
from app.domain.schema import Action, AgencyPosition, Child, StrategyRecordData
from app.domain.siblings import passage_for, substituted
from app.records.display import ParticipantGroup, as_text, participant_groups
from app.rules.completeness import Result, Tally, tally

DATE_NOT_SET = "(date not yet set)"
NO_CONCERNS = "No safeguarding concerns"


@dataclass(frozen=True)
class ChildView:
    title: str  # the child's name, or "Child N" by their place in the whole record
    child: Child
    # Age on the day of the discussion, or for an unborn baby the gestation and due date,
    # so a reader with only the printed record knows who is who: "8 months old".
    age: str | None = None

    @property
    def title_with_age(self) -> str:
        return f"{self.title} ({self.age})" if self.age else self.title


_WEEKS_UNTIL_DAYS = 13 * 7  # weeks up to 13 weeks old, then months


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} old"


def age_text(child: Child, on: date) -> str | None:
    """How old the child was on `on` in the words people use for a baby or a child."""
    if child.unborn:
        parts = ["unborn"]
        if child.gestation_weeks is not None:
            parts.append(f"{child.gestation_weeks} weeks' gestation")
        if child.expected_delivery_date:
            parts.append(f"due {as_text(child.expected_delivery_date)}")
        return ", ".join(parts)
    born = child.date_of_birth
    if born is None or born > on:
        return None
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if months >= 24:
        return _plural(months // 12, "year")
    days = (on - born).days
    # A young baby's age is told in weeks ("7 weeks old", not "1 month old"): at that age a
    # few weeks change what is expected of them, and a paediatrician reads it that way.
    if days >= _WEEKS_UNTIL_DAYS:
        return _plural(months, "month")
    return _plural(days // 7, "week") if days >= 7 else _plural(days, "day")


# Printed after a detail given as another child's that cannot stand for this child, in place
# of a guess: the author was warned before finalising (app/rules/siblings.py).
NOT_RESOLVED = ("(given as another child's details, which cannot be repeated for this child: "
                "{reason}. Ask the social-care contact)")


def standing_alone(child: Child, data: StrategyRecordData) -> Child:
    """The child with each detail given as another child's ("As Jayden") replaced by that
    child's own words, for a copy that does not hold the other child; where those words would
    be untrue of this child, the detail as written with the author's warning."""
    own = next((i for i, c in enumerate(data.children) if c.key == child.key), 0)
    changes = {}
    for name, value in child:
        if name in ("key", "name") or not isinstance(value, str):
            continue
        found = substituted(data, own, name)
        if found is not None:
            changes[name] = (f"{found.text} {NOT_RESOLVED.format(reason=found.unsafe)}"
                             if found.unsafe else found.text)
    return child.model_copy(update=changes) if changes else child


def copy_for(data: StrategyRecordData, child_key: str) -> StrategyRecordData:
    """The record as one child's copy holds it: only that child's injuries, images and
    passages, and each shared passage written for the child printed in place of the shared one."""
    parts = {}
    for part, field in SHARED_PASSAGES:
        own = passage_for(data, child_key, part, field)
        if own != getattr(getattr(data, part), field):
            base = parts.get(part, getattr(data, part))
            parts[part] = base.model_copy(update={field: own})
    grounds = parts.get("grounds", data.grounds)
    images = {"images_of": []}  # the copy is about its one child: no list of children
    if grounds.images_taken == YesNo.YES and child_key not in grounds.images_of:
        # Images were taken of another child of the record: none of this one.
        images |= {"images_taken": YesNo.NO, "images_taken_by": None,
                   "images_taken_role": None, "images_policy": None}
    return data.model_copy(update={
        **parts,
        "grounds": grounds.model_copy(update=images),
        "injuries": [i for i in data.injuries if i.child_key == child_key],
        "child_passages": [p for p in data.child_passages if p.child_key == child_key],
    })


def _whole(data: StrategyRecordData) -> StrategyRecordData:
    """The whole record as read: the children images are of by name, where there are two or
    more to tell apart (the keys are the service's)."""
    named = [data.child_title(c) for c in data.children if c.key in data.grounds.images_of]
    images_of = named if len(data.children) > 1 else []
    return data.model_copy(update={"grounds": data.grounds.model_copy(
        update={"images_of": images_of})})


@dataclass(frozen=True)
class PositionRow:
    agency: str
    organisation: str | None
    position: str
    # Every detail the record holds for this agency, labelled where more than one may show.
    details: tuple[str, ...]


@dataclass(frozen=True)
class ActionRow:
    description: str
    is_update_action: bool
    owner: str
    # The owner's agency, shown only where it adds something to the owner's name.
    owner_agency: str | None
    due: str
    status: str


@dataclass(frozen=True)
class RecordView:
    data: StrategyRecordData
    children: tuple[ChildView, ...]  # the children this view covers (one, for a per-child copy)
    per_child: bool
    participant_groups: tuple[ParticipantGroup, ...]
    positions: tuple[PositionRow, ...]
    actions: tuple[ActionRow, ...]  # every action but the update-all-agencies one
    update_action: ActionRow | None
    tally: Tally

    @property
    def agencies_updated_by(self) -> str | None:
        """The date CSC will update all agencies by, if set: repeated where readers are told
        whom to contact if they have not heard the outcome."""
        action = self.data.update_action
        return as_text(action.due_date) if action and action.due_date else None

    @property
    def csc_contact(self) -> str | None:
        """The named social-care contact and their phone, as the first page prints them."""
        header = self.data.header
        parts = [part for part in (header.csc_contact_name, header.csc_contact_phone) if part]
        return ", ".join(parts) or None

    @property
    def names_children(self) -> bool:
        """Whether rows say which child they belong to: in the whole record of two or more."""
        return not self.per_child and len(self.data.children) > 1

    def child_named(self, key: str | None) -> str:
        child = next((c for c in self.data.children if c.key == key), None)
        return self.data.child_title(child) if child else "Not chosen"

    @property
    def experience_heading(self) -> str:
        return "The child's experience" if len(self.children) == 1 else "Each child's experience"


def position_details(position: AgencyPosition) -> tuple[str, ...]:
    details = []
    if position.concerns:
        details.append(position.concerns)
    elif position.position == Position.NO_CONCERNS:
        details.append(NO_CONCERNS)
    if position.not_contacted_reason:
        details.append(f"Why not contacted: {position.not_contacted_reason}")
    return tuple(details)


def update_action_text(action: Action) -> str:
    """The fixed action's sentence: "CSC will update all agencies … by <date>"."""
    due = as_text(action.due_date) if action.due_date else DATE_NOT_SET
    return f"{action.description} {due}"


def action_row(action: Action) -> ActionRow:
    is_update = action.kind == ActionKind.UPDATE_AGENCIES
    owner = as_text(action.owner)
    agency = as_text(action.agency) if action.agency else None
    return ActionRow(
        description=update_action_text(action) if is_update else as_text(action.description),
        is_update_action=is_update,
        owner=owner,
        owner_agency=agency if agency != owner else None,
        due=as_text(action.due_date),
        status=as_text(action.status),
    )


def record_view(data: StrategyRecordData, results: list[Result], *,
                child_key: str | None = None) -> RecordView:
    """The record (or one child's copy of it) ready to show."""
    # Ages as on the day of the discussion; a record with no date yet counts from today.
    on = data.header.discussion_at.date() if data.header.discussion_at else uk_today()
    # A copy for one child repeats what another child's details say rather than naming them.
    children = tuple(
        ChildView(data.child_title(child),
                  child if child_key is None else standing_alone(child, data),
                  age_text(child, on))
        for child in data.children
        if child_key is None or child.key == child_key
    )
    update = data.update_action
    return RecordView(
        data=_whole(data) if child_key is None else copy_for(data, child_key),
        children=children,
        per_child=child_key is not None,
        participant_groups=tuple(participant_groups(data.participants, data.header.format)),
        positions=tuple(
            PositionRow(as_text(p.agency), p.organisation, as_text(p.position), position_details(p))
            for p in data.agency_positions
        ),
        # The update-all-agencies action is stated once, in its own box, not again as a row.
        actions=tuple(action_row(a) for a in data.actions if a.kind != ActionKind.UPDATE_AGENCIES),
        update_action=action_row(update) if update else None,
        tally=tally(results),
    )
