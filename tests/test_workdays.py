"""Working days: weekends and England and Wales bank holidays are not working days."""

from datetime import date, timedelta

import pytest

from app.rules.workdays import add_working_days, is_working_day

# England and Wales bank holidays (gov.uk/bank-holidays).
BANK_HOLIDAYS = [
    date(2025, 12, 25),  # Christmas Day (Thursday)
    date(2025, 12, 26),  # Boxing Day (Friday)
    date(2026, 1, 1),  # New Year's Day
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May bank holiday
    date(2026, 5, 25),  # Spring bank holiday
    date(2026, 8, 31),  # Summer bank holiday
    date(2026, 12, 25),  # Christmas Day (Friday)
    date(2026, 12, 28),  # Boxing Day, substitute day (26 Dec is a Saturday)
    date(2027, 1, 1),  # New Year's Day
    date(2027, 3, 26),  # Good Friday
    date(2027, 3, 29),  # Easter Monday
    date(2027, 12, 27),  # Christmas Day, substitute day
    date(2027, 12, 28),  # Boxing Day, substitute day
]

# Bank holidays elsewhere in the UK only: working days in England and Wales.
OTHER_NATIONS_ONLY = [
    date(2026, 1, 2),  # Scotland: 2nd January (Friday)
    date(2026, 3, 17),  # Northern Ireland: St Patrick's Day (Tuesday)
    date(2026, 7, 13),  # Northern Ireland: Battle of the Boyne, substitute (Monday)
    date(2026, 8, 3),  # Scotland: summer bank holiday (Monday)
    date(2026, 11, 30),  # Scotland: St Andrew's Day (Monday)
]


@pytest.mark.parametrize("day", BANK_HOLIDAYS, ids=str)
def test_bank_holidays_are_not_working_days(day):
    assert day.weekday() < 5  # a weekday, so only the holiday list makes it a non-working day
    assert not is_working_day(day)


@pytest.mark.parametrize("day", OTHER_NATIONS_ONLY, ids=str)
def test_scottish_and_northern_irish_holidays_are_working_days_in_england(day):
    assert is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 21), date(2026, 11, 22), date(2026, 12, 26),
                                 date(2026, 4, 4), date(2026, 4, 5)], ids=str)
def test_weekends_are_not_working_days(day):
    assert day.weekday() >= 5
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 16) + timedelta(days=n) for n in range(5)],
                         ids=str)
def test_ordinary_weekdays_are_working_days(day):
    assert is_working_day(day)


@pytest.mark.parametrize("day", [date(2025, 12, 24), date(2026, 12, 24), date(2026, 12, 31),
                                 date(2026, 4, 2), date(2026, 4, 7)], ids=str)
def test_days_next_to_bank_holidays_are_working_days(day):
    assert is_working_day(day)


@pytest.mark.parametrize("start, days, expected", [
    # Ordinary weeks.
    (date(2026, 11, 17), 1, date(2026, 11, 18)),  # Tuesday -> Wednesday
    (date(2026, 11, 16), 4, date(2026, 11, 20)),  # Monday -> Friday
    (date(2026, 11, 16), 5, date(2026, 11, 23)),  # Monday -> next Monday
    (date(2026, 11, 2), 15, date(2026, 11, 23)),  # three clear weeks
    # Weekends.
    (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday
    (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday -> Monday
    (date(2026, 11, 22), 1, date(2026, 11, 23)),  # Sunday -> Monday
    # Christmas.
    (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Thu; 25 Dec, weekend, 28 Dec substitute
    (date(2025, 12, 24), 1, date(2025, 12, 29)),  # Wed; 25 and 26 Dec, weekend
    (date(2026, 12, 23), 2, date(2026, 12, 29)),
    (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day is a Friday
    (date(2027, 12, 24), 1, date(2027, 12, 29)),  # Fri; weekend, 27 and 28 Dec substitutes
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    (date(2026, 4, 2), 1, date(2026, 4, 7)),
    (date(2026, 4, 1), 2, date(2026, 4, 7)),
    (date(2026, 3, 23), 15, date(2026, 4, 15)),  # an ICPC limit spanning Easter
    (date(2026, 3, 23), 20, date(2026, 4, 22)),
    # Early May and Spring bank holidays 2026.
    (date(2026, 5, 1), 1, date(2026, 5, 5)),
    (date(2026, 5, 22), 1, date(2026, 5, 26)),
    (date(2026, 5, 18), 15, date(2026, 6, 9)),  # 15 working days over the Spring bank holiday
    # Summer bank holiday 2026.
    (date(2026, 8, 28), 1, date(2026, 9, 1)),
])
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize("start", [date(2026, 11, 20), date(2026, 11, 21), date(2026, 12, 25)],
                         ids=str)
def test_zero_working_days_is_the_start_itself(start):
    assert add_working_days(start, 0) == start


def test_adding_working_days_always_lands_on_a_working_day():
    start = date(2025, 12, 1)
    for offset in range(0, 430):
        day = start + timedelta(days=offset)
        for n in (1, 2, 15):
            result = add_working_days(day, n)
            assert is_working_day(result), (day, n, result)
            assert result > day


def test_each_working_day_added_is_the_next_working_day():
    start = date(2025, 12, 20)
    previous = add_working_days(start, 0)
    for n in range(1, 120):
        current = add_working_days(start, n)
        gap = [previous + timedelta(days=k) for k in range(1, (current - previous).days)]
        assert current > previous
        assert is_working_day(current)
        assert not any(is_working_day(day) for day in gap), (n, gap)
        previous = current


def test_working_days_count_matches_is_working_day():
    start = date(2026, 1, 1)
    end = add_working_days(start, 100)
    counted = sum(is_working_day(start + timedelta(days=k)) for k in range(1, (end - start).days + 1))
    assert counted == 100
