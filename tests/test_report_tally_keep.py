"""How the live audit's counts are kept (app/reports/tally.py, `_keep`): one row a family or
breakdown and month, upserted on its key; what was kept on an earlier day is dropped once
today's counts are kept, whichever team and lead it was for; and on PostgreSQL the drop passes
over rows another report holds.

The statements PostgreSQL is sent are read off a session that only records them, so they are
checked whichever database the tests run on."""

from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy.dialects import postgresql
from sqlmodel import select

from app.reports import tally
from app.reports.families import Scope
from app.reports.tally_tables import ReportTally

TODAY = date(2026, 8, 20)
PERIOD = (date(2026, 1, 1), date(2026, 6, 30))  # six months
KEPT = 7  # four families of figures and three breakdowns


def test_what_was_kept_on_an_earlier_day_is_dropped_once_today_is_kept(session):
    tally.counted(session, Scope(*PERIOD, team="North", led_by="edt",
                                 today=TODAY - timedelta(days=1)))
    session.commit()
    assert set(session.execute(select(ReportTally.made_on)).scalars()) == {
        TODAY - timedelta(days=1)}
    tally.counted(session, Scope(*PERIOD, today=TODAY))  # every team's and lead's
    session.commit()
    made_on = session.execute(select(ReportTally.made_on)).scalars().all()
    # Yesterday's North EDT months are gone; the requests and triage, kept for every team and
    # lead, were counted again today under the same keys.
    assert made_on == [TODAY] * (KEPT * 6)


def test_a_report_kept_again_the_same_day_replaces_its_rows(session):
    scope = Scope(*PERIOD, today=TODAY)
    tally.counted(session, scope)
    session.commit()
    first = session.execute(select(ReportTally.key, ReportTally.made_on)).all()
    session.execute(ReportTally.__table__.update().values(generation=-1))  # stale, all of them
    session.commit()
    tally.counted(session, scope)
    session.commit()
    assert sorted(session.execute(select(ReportTally.key, ReportTally.made_on)).all()) == sorted(
        first)
    assert set(session.execute(select(ReportTally.generation)).scalars()) == {0}


class _Recording:
    """A session bound to PostgreSQL that sends nothing: it notes each statement as
    PostgreSQL would be sent it."""

    def __init__(self):
        self.dialect = postgresql.psycopg.dialect()
        self.sent: list[tuple[str, dict]] = []

    def get_bind(self):
        return SimpleNamespace(dialect=self.dialect)

    def execute(self, statement):
        compiled = statement.compile(dialect=self.dialect)
        self.sent.append((" ".join(str(compiled).split()), compiled.params))


def test_on_postgresql_rows_are_upserted_on_their_key_and_old_ones_dropped_unless_held():
    recording = _Recording()
    row = {"key": "k", "made_on": TODAY, "basis": "b", "generation": 3, "body": {"x": 1}}
    tally._keep(recording, [row], TODAY)
    (upsert, upsert_params), (drop, drop_params) = recording.sent
    assert upsert == (
        "INSERT INTO report_tally (key, made_on, basis, generation, body) VALUES "
        "(%(key_m0)s::VARCHAR, %(made_on_m0)s::DATE, %(basis_m0)s::VARCHAR, "
        "%(generation_m0)s::BIGINT, %(body_m0)s::JSONB) ON CONFLICT (key) DO UPDATE SET "
        "made_on = excluded.made_on, basis = excluded.basis, generation = excluded.generation, "
        "body = excluded.body")
    assert upsert_params == {"key_m0": "k", "made_on_m0": TODAY, "basis_m0": "b",
                             "generation_m0": 3, "body_m0": {"x": 1}}
    assert drop == (
        "DELETE FROM report_tally WHERE report_tally.key IN (SELECT report_tally.key "
        "FROM report_tally WHERE report_tally.made_on < %(made_on_1)s::DATE "
        "FOR UPDATE SKIP LOCKED)")
    assert drop_params == {"made_on_1": TODAY}
