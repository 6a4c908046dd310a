"""Rules for what each child's own copy of the record holds: rows that belong to a child, shared
text that names another child, and details given as another child's ("As Leo")."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import SharedPassage, YesNo
from app.domain.schema import Child, StrategyRecordData
from app.domain.siblings import shared_naming_others, unsafe_substitutions
from app.rules.core import Failure, rule


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@rule("children.rows-belong", "blocking", "missing", "injuries",
      "Every injury on the body map, and every image, belongs to a child of the record",
      "Per-child copies carried a sibling's injuries")
def _rows_belong(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    keys = {c.key for c in data.children}
    for i, injury in enumerate(data.injuries):
        if injury.child_key in keys:
            continue
        why = "names a child no longer on the record" if injury.child_key else "has no child"
        yield Failure(f"Injury {i + 1} {why}: choose which child has it", ("injuries", i, "child_key"))
    images = data.grounds
    if images.images_taken == YesNo.YES and (not images.images_of
                                             or not set(images.images_of) <= keys):
        yield Failure("Choose which children the images are of", ("grounds", "images_of"))
    for i, passage in enumerate(data.child_passages):
        if passage.child_key not in keys:
            yield Failure(f"Choose whose copy passage {i + 1} is for",
                          ("child_passages", i, "child_key"))


@rule("children.passages", "blocking", "missing", "child-wording",
      "Every passage written for one child's copy says which passage it replaces and its text",
      "Per-child copies carried a sibling's details")
def _passages(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, passage in enumerate(data.child_passages):
        if not passage.passage:
            yield Failure(f"Select which passage {i + 1} replaces", ("child_passages", i, "passage"))
        if not passage.text:
            yield Failure(f"Enter the text of passage {i + 1}", ("child_passages", i, "text"))


def _whose(child: Child, data: StrategyRecordData) -> str:
    return f"{data.child_title(child)}'s"


@rule("children.shared-text-names", "warning", "conflict", "child-wording",
      "Shared text printed in each child's own copy names no other child of the record",
      "Per-child copies named siblings and their health")
def _shared_text_names(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for child, part, field, names in shared_naming_others(data):
        label = SharedPassage(f"{part}.{field}").label  # type: ignore[call-arg]  # Choice(value) looks a member up
        yield Failure(f"{label} names {_and(names)}, and is printed in {_whose(child, data)} own "
                      f"copy: write it for {_whose(child, data)} copy under Wording for one "
                      "child's copy, or leave the other children out of it", (part, field))


@rule("children.references", "warning", "conflict", "children",
      "A detail given as another child's (\"As Leo\") can be repeated in this child's own copy",
      "Per-child copies made a child their own sibling")
def _references(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for index, field, reason in unsafe_substitutions(data):
        child = data.children[index]
        title = (Child.model_fields[field].title or field).lower()
        yield Failure(f"{data.child_title(child)}'s {title} is given as another child's, but "
                      f"{reason}: write {_whose(child, data)} own, or their copy prints it as "
                      "written with this warning", ("children", index, field))
