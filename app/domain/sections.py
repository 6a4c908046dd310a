"""The record's sections, in the order of the form, the task list and the PDF."""

from dataclasses import dataclass

from app.domain.schema import Child


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    field: str  # the StrategyRecordData attribute the section edits
    # For sections that edit part of each list item (the child's experience edits
    # children), the item fields this section owns; None means all of them.
    item_fields: tuple[str, ...] | None = None
    # Whether people add and remove rows on this page (lists of people, agencies, actions).
    rows_editable: bool = False
    # Only some records need it (the body map): empty and with no rule failing, it is "Not needed".
    optional: bool = False
    # Whether "Save and continue" leads to it. The wording for one child's copy is reached from
    # the task list and the warning that asks for it: most records never need it, and the
    # journey through the form stays as short.
    in_sequence: bool = True


OBSERVATION_PARTS = ("observed_care", "observed_presentation", "observed_interaction")
EXPERIENCE_FIELDS = ("seen", "seen_at", "seen_at_clock", "seen_by", "not_seen_reason", "voice",
                     *OBSERVATION_PARTS, "observed_by", "observed_at", "observed_at_clock", "observations")
CHILD_FIELDS = tuple(name for name in Child.model_fields if name not in EXPERIENCE_FIELDS)

SECTIONS = (
    Section("header", "Discussion details", "header"),
    Section("children", "Children", "children", CHILD_FIELDS, rows_editable=True),
    Section("grounds", "Grounds for the discussion", "grounds"),
    Section("injuries", "Injuries and body map", "injuries", rows_editable=True, optional=True),
    Section("participants", "Who took part", "participants", rows_editable=True),
    Section("agency-positions", "Agency positions", "agency_positions", rows_editable=True),
    Section("experience", "The child's experience", "children", ("key", *EXPERIENCE_FIELDS)),
    Section("analysis", "Analysis", "analysis"),
    Section("decision", "Decision", "decision"),
    Section("actions", "Actions", "actions", rows_editable=True),
    Section("next-steps", "Next steps", "next_steps"),
    # Only for a record of two or more children whose shared text names one of them.
    Section("child-wording", "Wording for one child's copy", "child_passages", rows_editable=True,
            optional=True, in_sequence=False),
    Section("distribution", "Distribution", "distribution"),
)
SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}


def next_section(slug: str) -> Section | None:
    """The section "Save and continue" leads to from this one; None after the last."""
    slugs = [section.slug for section in SECTIONS]
    return next((s for s in SECTIONS[slugs.index(slug) + 1:] if s.in_sequence), None)


def section_of(path: tuple[str | int, ...]) -> str:
    """The slug of the section a field path like ("children", 0, "voice") belongs to."""
    if path and path[0] == "children" and len(path) > 2 and path[2] in EXPERIENCE_FIELDS:
        return "experience"
    return next((s.slug for s in SECTIONS if path and s.field == path[0]), "header")
