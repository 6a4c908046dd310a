"""The report's row for a record's version in force (record_measure): what the version's
document meets, and what happened after its meeting. Computed by the projection
(app/followup/projection.py), the only writer of record_measure."""

from datetime import date

from app.clock import uk_today
from app.config import Settings, get_settings
from app.domain.choices import LedBy
from app.domain.schema import StrategyRecordData
from app.followup.measure_table import MEASURE_COLUMNS
from app.rules.completeness import evaluate
from app.rules.measures import measure


def measure_row(record_id: int, version: int, team: str | None, data: StrategyRecordData, *,
                today: date | None = None, settings: Settings | None = None, **after
                ) -> dict | None:
    """The row for one finalised version, with what happened after the meeting (`after`:
    sent_late, reviewed_on, authorised, returned, referrer_told_on); None for a version with
    no discussion date (it belongs to no period)."""
    if data.header.discussion_at is None:
        return None
    settings, today = settings or get_settings(), today or uk_today()
    met = measure(data, evaluate(data, settings, today=today), settings, today)
    return {
        "record_id": record_id, "version": version, "team": team,
        "discussion_on": data.header.discussion_at.date(),
        "led_by": data.header.led_by.value if data.header.led_by else None,
        "review_due": data.header.day_team_review_due if data.header.led_by == LedBy.EDT else None,
        "sent_late": None, "reviewed_on": None, "authorised": False, "returned": False, "amended": False,
        "referrer_told_on": None,
        **after,
        **{column: met.get(name) for name, column in MEASURE_COLUMNS.items()},
    }
