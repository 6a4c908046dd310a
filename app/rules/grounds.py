"""Rules for the grounds: the concern, the referrer, images and injuries, the person alleged."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import ImagesTakenBy, ReferrerKind, YesNo
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, Kind, missing, rule

# --- grounds ------------------------------------------------------------------------------

@rule("grounds.required", "blocking", "missing", "grounds",
      "The concern is summarised with its source and category of harm",
      "The record must stand alone: agencies do not see CSC's case notes")
def _grounds_required(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    yield from missing(data.grounds, ("grounds",), {
        "summary": "Enter a summary of the concern",
        "source": "Enter the source of the concern",
        "categories": "Select at least one category of harm",
    })


@rule("grounds.images", "blocking", "missing", "grounds",
      "If images of injuries were taken, who took them and under which policy is recorded",
      "Finding 6: a school photographed marks on a child")
def _images(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.grounds.images_taken == YesNo.YES:
        yield from missing(data.grounds, ("grounds",), {
            "images_taken_by": "Enter who took the images",
            "images_policy": "Enter the policy the images were taken under",
        })


@rule("grounds.body-map", "warning", "missing", "grounds",
      "Injuries are recorded on a body map", "Finding 6: injuries belong on a body map")
def _body_map(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    grounds = data.grounds
    if grounds.images_taken == YesNo.YES and grounds.body_map != YesNo.YES and not data.injuries:
        yield Failure("Record the injuries on the body map (Injuries and body map)",
                      ("grounds", "body_map"))


def referrer_named(data: StrategyRecordData) -> bool:
    """The record names who referred, so someone can tell them the outcome."""
    return bool(data.grounds.referrer_name)


def referrer_feedback_due(data: StrategyRecordData) -> bool:
    """A named referrer has not yet been recorded as told the outcome (when and how)."""
    grounds = data.grounds
    return referrer_named(data) and not (grounds.referrer_informed_on and grounds.referrer_informed_how)


@rule("grounds.referrer-told", "warning", "missing", "grounds",
      "The referrer is told the outcome, and when and how is recorded",
      "Finding 8: referrers were not told the outcome of their referral")
def _referrer_told(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    grounds = data.grounds
    if referrer_feedback_due(data):
        gap = "referrer_informed_how" if grounds.referrer_informed_on else "referrer_informed_on"
        yield Failure("Record when and how the referrer was told the outcome", ("grounds", gap))


@rule("grounds.referrer-named", "warning", "missing", "grounds",
      "The record names who referred: a professional with their agency, or a family member or "
      "member of the public",
      "Finding 8: 7 of 8 referrers were never told the outcome: first, know who they are")
def _referrer_named(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    grounds = data.grounds
    yield from missing(grounds, ("grounds",), {
        "referrer_kind": "Select who referred: a professional, a family member or a member of "
                         "the public",
        "referrer_name": "Enter the referrer's name",
    })
    if grounds.referrer_kind == ReferrerKind.PROFESSIONAL and not grounds.referrer_agency:
        yield Failure("Select the referrer's agency", ("grounds", "referrer_agency"))


# Where images were taken by someone else, what happened to them is what must be known.
IMAGE_HANDLING = ("images_kept_where", "images_kept_by", "images_shared_with")


@rule("grounds.images-medical", "warning", "conflict", "grounds",
      "Images of injuries are taken by medical staff, under the local digital images policy "
      "(LOCAL_IMAGES_POLICY), or the record says where others' are kept, by whom and who has them",
      "Finding 6: a school photographed marks on a child")
def _images_medical(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    grounds = data.grounds
    if grounds.images_taken != YesNo.YES:
        return
    path = ("grounds", "images_taken_role")
    if not grounds.images_taken_role:
        yield Failure("Select the role of the person who took the images", path, Kind.MISSING)
        return
    gaps = [name for name in IMAGE_HANDLING if not getattr(grounds, name)]
    if grounds.images_taken_role != ImagesTakenBy.MEDICAL and gaps:
        yield Failure(f"Images were taken by {grounds.images_taken_role.label.lower()}, not "
                      f"medical staff: {settings.local_images_policy} says only medical staff "
                      "photograph injuries. Say what happened to the images: where they are "
                      "kept now, who holds them and who they have been shared with",
                      ("grounds", gaps[0]))


def alleged_child(data: StrategyRecordData) -> bool:
    """The person alleged to have caused harm is a child: at risk too, and needing a strategy
    discussion of their own (an action the projection generates)."""
    grounds = data.grounds
    return bool(grounds.alleged_name) and (grounds.alleged_under_18 == YesNo.YES or (
        grounds.alleged_age is not None and grounds.alleged_age < 18))


def alleged_child_action(data: StrategyRecordData) -> str:
    grounds = data.grounds
    age = f" ({grounds.alleged_age})" if grounds.alleged_age is not None else ""
    return (f"CSC considers a strategy discussion for {grounds.alleged_name}{age}, the child "
            "alleged to have caused harm: a child at risk too")


@rule("grounds.alleged-person", "warning", "missing", "grounds",
      "Where the person alleged to have caused harm is known: their relationship to the child, "
      "their contact with other children (named), and if under 18, their age, where they live, "
      "who holds parental responsibility for them and their own discussion",
      "Children outside the household were not protected; a child who harms needs their own plan")
def _alleged(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    grounds, path = data.grounds, ("grounds",)
    if not grounds.alleged_name:
        return
    yield from missing(grounds, path, {
        "alleged_relationship": "Enter the alleged person's relationship to the child",
        "alleged_under_18": "Say whether the alleged person is under 18",
        "alleged_contact_with_children": "Say whether the alleged person has contact with "
                                         "other children",
    })
    if grounds.alleged_contact_with_children == YesNo.YES and not grounds.alleged_other_children:
        yield Failure("Name the other children the alleged person has contact with: they may be "
                      "at risk too", (*path, "alleged_other_children"))
    if alleged_child(data):
        yield from missing(grounds, path, {
            "alleged_age": "Enter the age of the child alleged to have caused harm",
            "alleged_lives_at": "Enter where the child alleged to have caused harm lives",
            "alleged_responsible": "Enter who holds parental responsibility for the child "
                                   "alleged to have caused harm",
        })
    if alleged_child(data) and not grounds.alleged_own_discussion:
        yield Failure("The alleged person is under 18: they need their own strategy discussion. "
                      "Record when it is, or its reference", (*path, "alleged_own_discussion"))


# --- injuries and body map ------------------------------------------------------------------

@rule("injuries.entries", "blocking", "missing", "injuries",
      "Every body map entry gives the part of the body, front or back, a description, who saw "
      "it and when",
      "Finding 6: injuries belong on a body map, never a photo on a phone")
def _injuries(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, injury in enumerate(data.injuries):
        n = i + 1
        yield from missing(injury, ("injuries", i), {
            "area": f"Select the part of the body for injury {n}",
            "side": f"Select front or back for injury {n}",
            "description": f"Describe injury {n}",
            "seen_by": f"Enter who saw injury {n}",
            "seen_on": f"Enter the date injury {n} was seen",
        })
