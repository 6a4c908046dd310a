"""Rules for each child's experience: seen, heard, and for a child who cannot speak, observed."""

import re

from migrations.frozen.v0015.domain.choices import YesNo
from migrations.frozen.v0015.rules.core import Failure, cannot_speak, discussion_day, missing, rule

# An account of what was observed says something about the child's care: a line such as
# "too young to say" (or a few words) is the gap the audit found, not an observation.
OBSERVATION_MIN_CHARACTERS = 40
_ONLY_TOO_YOUNG = re.compile(
    r"\b(too young|pre-?verbal|non-?verbal|cannot (speak|talk|say)|can't (speak|talk|say)|"
    r"unable to (speak|talk|say|communicate)|not able to (speak|talk|say)|n/?a)\b",
    re.IGNORECASE,
)


def _observation_problem(text: str | None) -> str | None:
    """Why `text` is not an account of what was observed, or None if it is one."""
    if not text:
        return "missing"
    words = text.strip()
    if len(words) < OBSERVATION_MIN_CHARACTERS:
        return "too short"
    # Mentioning age is fine in a real account; only one that says little else is refused.
    if _ONLY_TOO_YOUNG.search(words) and len(words) < 2 * OBSERVATION_MIN_CHARACTERS:
        return "only says the child cannot speak"
    return None


# --- the child's experience ---------------------------------------------------------------

@rule("experience.account", "blocking", "missing", "experience",
      "Every child's experience is recorded: whether they were seen, and what they said or showed",
      "Finding 3: a young baby's experience was missing")
def _experience(data, settings, today):
    day = discussion_day(data) or today
    for i, child in enumerate(data.children):
        who = child.title(i)
        path = ("children", i)
        if child.unborn:
            pass  # an unborn child cannot be seen; the observation rule asks what was seen of care
        elif not child.seen:
            yield Failure(f"Say whether {who} has been seen", (*path, "seen"))
        elif child.seen == YesNo.YES:
            yield from missing(child, path, {
                "seen_at": f"Enter when {who} was seen",
                "seen_by": f"Enter who saw {who}",
            })
        else:
            yield from missing(child, path, {
                "not_seen_reason": f"Enter why {who} has not been seen",
            })
        if not child.voice and not child.observations and not cannot_speak(child, day, settings):
            # A child who cannot speak is asked for observations by experience.observed.
            yield Failure(f"Describe {who}'s experience: what they said or showed, or what was "
                          "observed", (*path, "voice"))


@rule("experience.observed", "blocking", "missing", "experience",
      "A child who is unborn, under the age set by CANNOT_SPEAK_UNDER_YEARS, pre-verbal or "
      "non-verbal has an account of what was observed, more than 'too young to say'",
      "Finding 3: a young baby's experience was not evident: record what was observed")
def _observed(data, settings, today):
    day = discussion_day(data) or today
    for i, child in enumerate(data.children):
        if not cannot_speak(child, day, settings):
            continue
        problem = _observation_problem(child.observations)
        if problem is None:
            continue
        who = child.title(i)
        if child.unborn:
            ask = (f"{who} is unborn: describe what was observed of the pregnancy and of the "
                   "care being prepared for the baby")
        else:
            ask = (f"{who} cannot speak for themselves: describe what was observed of their "
                   "care, routines, presentation and interaction with carers")
        if problem != "missing":
            ask += (" (saying the child is too young is not enough)"
                    if problem == "only says the child cannot speak"
                    else f" (at least {OBSERVATION_MIN_CHARACTERS} characters)")
        yield Failure(ask, ("children", i, "observations"))
