"""Rules for each child's experience: seen, heard, and for a child who cannot speak, observed."""

import re
from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import YesNo
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, cannot_speak, discussion_day, missing, rule

# An account of what was observed says something about the child's care: a line such as
# "too young to say", however long, or a row of x's is the gap the audit found, not an
# observation. Judged by its words: enough distinct ones that say something, once the words
# any such line uses (and the little words of every sentence) are set aside.
OBSERVATION_MIN_WORDS = 4
_STOCK = re.compile(
    r"\b(too young|pre-?verbal|non-?verbal|cannot (speak|talk|say)|can't (speak|talk|say)|"
    r"unable to (speak|talk|say|communicate)|not able to (speak|talk|say)|n/?a|as above)\b",
    re.IGNORECASE,
)
_FILLER = frozenset("""
    the and but for nor not yet are was were has have had been being this that these those
    they them their his her hers its our you your with from into onto about than then there
    here what which who whom whose when where why how all any anything nothing something
    can cannot could would should will shall may might must does did done very too also just
    only such some more most other same able unable due because therefore given age aged
    old young child child's children baby baby's infant say said says speak speaks spoke
    talk talks verbal verbally preverbal nonverbal communicate communication express views
    wishes feelings experience experiences observed observation observations seen noted
    note see above below applicable months weeks days years known unknown yet time times
""".split())


def _observation_problem(text: str | None) -> str | None:
    """Why `text` is not an account of what was observed, or None if it is one."""
    if not text:
        return "missing"
    words = {word for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.casefold())
             if 3 <= len(word) <= 25 and re.search(r"[aeiouy]", word) and word not in _FILLER}
    # A line that says the child cannot speak must say more besides.
    needed = OBSERVATION_MIN_WORDS + (2 if _STOCK.search(text) else 0)
    return "padding" if len(words) < needed else None


_PARTS = {
    "observed_care": "what was observed of {who}'s care and routines (feeding, sleep, "
                     "hygiene, the home)",
    "observed_presentation": "how {who} presented (appearance, health, mood, development)",
    "observed_interaction": "how {who} and their carers interacted",
}
_NOT_ENOUGH = " (what the child was seen doing and how: saying they are too young is not enough)"


# --- the child's experience ---------------------------------------------------------------

@rule("experience.account", "blocking", "missing", "experience",
      "Every child's experience is recorded: whether they were seen, and what they said or showed",
      "Finding 3: a young baby's experience was missing")
def _experience(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
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
      "non-verbal has an account of what was observed, more than 'too young to say': for a born "
      "child, their care and routines, presentation and interaction with carers, by whom and when",
      "Finding 3: a young baby's experience was not evident: record what was observed")
def _observed(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    day = discussion_day(data) or today
    for i, child in enumerate(data.children):
        if not cannot_speak(child, day, settings):
            continue
        who, path = child.title(i), ("children", i)
        if child.unborn:
            problem = _observation_problem(child.observations)
            if problem:
                yield Failure(f"{who} is unborn: describe what was observed of the pregnancy and "
                              "of the care being prepared for the baby"
                              + (_NOT_ENOUGH if problem != "missing" else ""),
                              (*path, "observations"))
            continue
        # A record from before the parts were asked for keeps its single text, printed as it
        # was; the parts are asked for when it is next edited.
        for field, what in _PARTS.items():
            problem = _observation_problem(getattr(child, field))
            if problem:
                yield Failure(f"{who} cannot speak for themselves: describe "
                              + what.format(who=who) + (_NOT_ENOUGH if problem != "missing" else ""),
                              (*path, field))
        yield from missing(child, path, {"observed_by": f"Enter who observed {who}",
                                         "observed_at": f"Enter when {who} was observed"})
