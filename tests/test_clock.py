"""The one time module: stored instants read alike on both databases, and UK days."""

from datetime import UTC, date, datetime, timedelta, timezone

from app import clock


def test_a_zone_less_stored_instant_is_utc_and_an_aware_one_is_converted():
    naive = datetime(2026, 7, 1, 22, 30)  # as SQLite hands it back
    aware = datetime(2026, 7, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # a session's zone
    assert clock.as_utc(naive) == datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    assert clock.as_utc(aware).tzinfo is UTC
    assert clock.as_utc(aware) == clock.as_utc(naive)
    assert clock.as_utc(None) is None


def test_the_uk_day_of_a_stored_instant_follows_summer_time():
    # 23:30 UTC is 00:30 the next day in British Summer Time, the same day in winter.
    assert clock.uk_date(datetime(2026, 7, 1, 23, 30)) == date(2026, 7, 2)
    assert clock.uk_date(datetime(2026, 1, 1, 23, 30)) == date(2026, 1, 1)
    assert clock.uk_wall_clock(datetime(2026, 7, 1, 23, 30, 5, 999)) == datetime(2026, 7, 2, 0, 30, 5)


def test_a_uk_day_begins_at_midnight_uk_time():
    assert clock.uk_day_start(date(2026, 7, 2)) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert clock.uk_day_start(date(2026, 1, 2)) == datetime(2026, 1, 2, 0, 0, tzinfo=UTC)


def test_a_record_time_given_with_an_offset_becomes_uk_wall_clock_and_one_without_stays():
    given = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)
    assert clock.wall_clock(given) == datetime(2026, 7, 1, 14, 5)
    assert clock.wall_clock(datetime(2026, 7, 1, 14, 5)) == datetime(2026, 7, 1, 14, 5)


def test_now_and_today_are_the_uk_s():
    now = clock.uk_now()
    assert now.tzinfo is None and now.second == 0 and now.microsecond == 0
    before = clock.uk_local(clock.utc_now()).date()
    today = clock.uk_today()
    after = clock.uk_local(clock.utc_now()).date()
    assert today in {before, after}  # either side of a midnight passing between the calls
