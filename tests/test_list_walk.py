"""A page limited to some records, walked a record at a time (`listing.list_page`'s `asked`):
the walk over the next `walk` rows, and the gathering beyond it when they hold less than a
page, give exactly the pages the plain restricted list gives, whatever the page size, the
walk's length, the order and the direction of paging (issue 26)."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, Integer, false, literal, select, union_all

from app.records.among import Among
from app.records.list_query import ListQuery
from app.records.listing import list_page
from app.records.models import StrategyRecord
from app.web.access import visible_filter
from tests.conftest import make_user
from tests.shared_helpers import listed_record as make
from tests.shared_helpers import statements_run

# Days ago of each record made: ties on a discussion time are paged by id.
DAYS = (0, 1, 1, 1, 2, 3, 5, 5, 8, 9, 12, 13, 20, 21)


def _made(session):
    made = [make(session, days_ago=days) for days in DAYS]
    made.append(make(session, days_ago=4, team="North"))  # behind, but not Sam's to see
    return made


def _among(members) -> Among:
    return Among(ids=select(StrategyRecord.id).where(StrategyRecord.id.in_(members)),
                 asked=StrategyRecord.id.in_(members))


def _how(members, walk) -> dict:
    """How to list the records `members`: walked `walk` rows first, or (None) plainly."""
    if walk is None:
        return {"restrict": StrategyRecord.id.in_(members)}
    return {"among": _among(members), "walk": walk}


def _shape(page):
    return [item.id for item in page.items], page.has_next, page.has_previous


def _every_page(session, visible, sort, size, **how):
    """Each page from the first by Next, then back by Previous: (ids, next, previous), each
    listed by list_page with `how`."""
    forward, query = [], ListQuery(sort=sort)
    while True:
        page = list_page(session, visible, query, size, **how)
        forward.append(_shape(page))
        if not page.has_next:
            break
        query = ListQuery(sort=sort, after=page.next_cursor)
    backward = []
    while page.has_previous:
        page = list_page(session, visible, ListQuery(sort=sort, before=page.previous_cursor),
                         size, **how)
        backward.append(_shape(page))
    return forward, backward


@pytest.fixture
def listed(session):
    """The records, and Sam (Central's) who may see all but North's: made once for all the
    examples of a test, which only read them."""
    return _made(session), make_user(session, "sam")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_walking_then_gathering_pages_as_the_plain_list_does(session, listed, data, monkeypatch):
    from app.records import among

    made, sam = listed
    visible = visible_filter(sam)
    every = [r.id for r in made]
    # Beyond the walk, the records are looked up by key up to GATHERED, else left to the
    # database: both ways, and the boundary between them.
    monkeypatch.setattr(among, "GATHERED", data.draw(st.sampled_from([0, 1, 3, 100]),
                                                       label="gathered"))
    members = data.draw(st.lists(st.sampled_from(every), unique=True), label="behind")
    sort = data.draw(st.sampled_from(["newest", "oldest"]), label="sort")
    size = data.draw(st.integers(1, 6), label="page size")
    walk = data.draw(st.integers(1, len(every) + 2), label="walk")

    walked = _every_page(session, visible, sort, size, **_how(members, walk))
    assert walked == _every_page(session, visible, sort, size, **_how(members, None))
    # And the plain list is the records behind, that Sam may see, in the list's order.
    seen = sorted((r for r in made if r.id in members and r.team == "Central"),
                  key=lambda r: (r.sort_at, r.id), reverse=sort == "newest")
    assert [i for ids, _, _ in walked[0] for i in ids] == [r.id for r in seen]


# --- records a range of sort times holds, but for those being amended (Among.within) --------


@pytest.fixture
def amending(session):
    """The records, four of them being amended (a draft listed, an earlier version in force;
    one of those North's), and Sam."""
    made = _made(session)
    for record in (made[2], made[6], made[13], made[-1]):
        record.status, record.version, record.latest_final_version = "draft", 2, 1
        session.add(record)
    session.commit()
    return made, make_user(session, "sam")


def _range_and_eligible(made, data):
    """A range of sort times, its edges on a record's sort time or just either side of one;
    the records being amended (`amending`); and the records that may be behind: those in the
    range, and those being amended wherever they are."""
    times = sorted({r.sort_at for r in made})
    since = data.draw(st.sampled_from(times), label="since") + data.draw(
        st.sampled_from([timedelta(microseconds=-1), timedelta(0), timedelta(microseconds=1)]))
    until = since + data.draw(st.sampled_from(
        [timedelta(0), timedelta(days=1), timedelta(days=4), timedelta(days=30)]), label="span")
    amended = {made[2].id, made[6].id, made[13].id, made[-1].id}
    return since, until, amended, [r for r in made if since <= r.sort_at < until
                                   or r.id in amended]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_range_of_sort_times_and_those_amended_beyond_it_page_as_the_plain_list_does(
        session, amending, data, monkeypatch):
    from app.records import among as among_module

    made, sam = amending
    visible = visible_filter(sam)
    monkeypatch.setattr(among_module, "GATHERED", data.draw(st.sampled_from([0, 3, 100]),
                                                       label="gathered"))
    since, until, amended, eligible = _range_and_eligible(made, data)
    eligible = [r.id for r in eligible]
    members = data.draw(st.lists(st.sampled_from(eligible), unique=True) if eligible
                        else st.just([]), label="behind")
    sort = data.draw(st.sampled_from(["newest", "oldest"]), label="sort")
    size = data.draw(st.integers(1, 6), label="page size")
    walk = data.draw(st.integers(1, len(made) + 2), label="walk")
    among = Among(ids=select(StrategyRecord.id).where(StrategyRecord.id.in_(members)),
                  asked=StrategyRecord.id.in_(members), within=(since, until))

    walked = _every_page(session, visible, sort, size, among=among, walk=walk)
    assert walked == _every_page(session, visible, sort, size, **_how(members, None))
    seen = sorted((r for r in made if r.id in members and r.team == "Central"),
                  key=lambda r: (r.sort_at, r.id), reverse=sort == "newest")
    assert [i for ids, _, _ in walked[0] for i in ids] == [r.id for r in seen]


def _rows_by_day(rows) -> select:
    """A figure's rows (record id, day) as a query, as `figures.behind` gives them."""
    if not rows:
        return select(literal(0, Integer).label("record_id"),
                      literal(date(2000, 1, 1), Date).label("day")).where(false())
    return union_all(*(select(literal(record_id, Integer).label("record_id"),
                              literal(day, Date).label("day")) for record_id, day in rows))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_page_read_in_the_order_of_its_rows_days_pages_as_the_plain_list_does(
        session, amending, data):
    """`Among.by_day`: the records behind read from their own rows, day by day. A record
    may have several rows (two actions); one being amended has its version's day, which
    may be far from its draft's place in the list."""
    made, sam = amending
    visible = visible_filter(sam)
    since, until, amended, eligible = _range_and_eligible(made, data)
    members = data.draw(st.lists(st.sampled_from(eligible), unique_by=lambda r: r.id)
                        if eligible else st.just([]), label="behind")
    rows = []
    for record in members:
        day = record.sort_at.date()
        if record.id in amended:
            day = data.draw(st.dates(since.date() - timedelta(days=3),
                                     until.date() + timedelta(days=3)), label="its version's day")
        rows += [(record.id, day)] * data.draw(st.integers(1, 3), label="rows")
    ids = [r.id for r in members]
    sort = data.draw(st.sampled_from(["newest", "oldest"]), label="sort")
    size = data.draw(st.integers(1, 6), label="page size")
    among = Among(ids=select(StrategyRecord.id).where(StrategyRecord.id.in_(ids)),
                  asked=StrategyRecord.id.in_(ids), within=(since, until),
                  by_day=_rows_by_day(data.draw(st.permutations(rows), label="in any order")))

    by_day = _every_page(session, visible, sort, size, among=among)
    assert by_day == _every_page(session, visible, sort, size, **_how(ids, None))
    seen = sorted((r for r in members if r.team == "Central"),
                  key=lambda r: (r.sort_at, r.id), reverse=sort == "newest")
    assert [i for page_ids, _, _ in by_day[0] for i in page_ids] == [r.id for r in seen]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_ids_read_by_their_rows_days_page_through_each_visible_record_once(session, listed, data):
    """`among.ids_by_day` (a figure's ids in the API): every record Sam may see, once per
    day it has rows on, in order of day and id, whatever the page size."""
    from app.records.among import ids_by_day

    made, sam = listed
    members = data.draw(st.lists(st.sampled_from(made), unique_by=lambda r: r.id), label="behind")
    rows = [(r.id, data.draw(st.dates(date(2026, 1, 1), date(2026, 1, 9)), label="day"))
            for r in members for _ in range(data.draw(st.integers(1, 2), label="rows"))]
    size = data.draw(st.integers(1, 4), label="page size")
    by_day, paged, after = _rows_by_day(rows), [], None
    while True:
        page = ids_by_day(session, by_day, visible_filter(sam), after, size)
        paged += [(row.day, row.id) for row in page]
        if len(page) < size:
            break
        after = (page[-1].day, page[-1].id)
    central = {r.id for r in made if r.team == "Central"}
    assert paged == sorted({(day, i) for i, day in rows if i in central})


def test_a_page_read_by_its_rows_days_is_three_statements(session, engine, listed):
    """The days of a page's rows, the page, and those being amended: however many records
    are behind or walked past (a record with two rows counted once)."""
    made, sam = listed
    newest_first = sorted((r for r in made if r.team == "Central"),
                          key=lambda r: (r.sort_at, r.id), reverse=True)
    members = [newest_first[1], newest_first[7], newest_first[12]]
    rows = [(r.id, r.sort_at.date()) for r in members for _ in range(2)]
    among = Among(ids=select(StrategyRecord.id).where(StrategyRecord.id.in_([r.id for r in members])),
                  asked=StrategyRecord.id.in_([r.id for r in members]),
                  within=(newest_first[-1].sort_at, newest_first[0].sort_at + timedelta(days=1)),
                  by_day=_rows_by_day(rows))
    found = []
    statements = statements_run(engine, lambda: found.append(list_page(
        session, visible_filter(sam), ListQuery(), 2, among=among)))
    assert [i.id for i in found[0].items] == [r.id for r in members[:2]]
    assert found[0].has_next
    assert len(statements) == 3


def test_a_page_found_in_the_walk_is_one_statement_and_a_short_one_four(session, engine,
                                                                        listed):
    made, sam = listed
    visible = visible_filter(sam)
    newest_first = sorted((r for r in made if r.team == "Central"),
                          key=lambda r: (r.sort_at, r.id), reverse=True)

    def page(members, walk):
        found = []
        statements = statements_run(engine, lambda: found.append(list_page(
            session, visible, ListQuery(), 2, among=_among(members), walk=walk)))
        return [i.id for i in found[0].items], found[0].has_next, len(statements)

    # The first four rows hold a page and one more: the walk alone answers.
    dense = [r.id for r in newest_first[:3]]
    assert page(dense, walk=4) == (dense[:2], True, 1)
    # The first four hold one: the walk, where it stopped, the records behind read, and the
    # rest of the page looked up beyond the walk.
    sparse = [newest_first[0].id, newest_first[9].id, newest_first[12].id]
    assert page(sparse, walk=4) == ([sparse[0], sparse[1]], True, 4)
    # Less than a page in a walk longer than the list: that is all, known in two statements.
    assert page(sparse[:1], walk=50) == (sparse[:1], False, 2)
    # A page and one more anywhere within the walk: the walk alone answers.
    assert page(sparse, walk=50) == (sparse[:2], True, 1)
    # What is found beyond the walk starts just after its last row: the fifth record is
    # behind and found, not skipped or listed twice, when the walk covers the first four.
    edge = [newest_first[3].id, newest_first[4].id]
    assert page(edge, walk=4) == (edge, False, 4)
    assert newest_first[0].sort_at - newest_first[-1].sort_at >= timedelta(days=20)


# --- a search by name: the names' index first, up to GATHERED ---------------------------------

NAMES = ("Leo Carter", "Ava Carter", "Leo Smith", "Mia Jones")


@pytest.fixture
def named(session):
    made = [make(session, days_ago=days, names=(NAMES[n % len(NAMES)],),
                 team="North" if n % 5 == 4 else "Central")
            for n, days in enumerate(DAYS)]
    return made, make_user(session, "sam")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_name_search_pages_alike_whether_its_records_are_found_first_or_walked_for(
        session, named, data, monkeypatch):
    from app.records import listing

    made, sam = named
    q = data.draw(st.sampled_from(["carter", "leo", "SMITH", "jones", "zz"]), label="q")
    gathered = data.draw(st.sampled_from([0, 1, 3, 100]), label="gathered")
    sort = data.draw(st.sampled_from(["newest", "oldest"]), label="sort")
    size = data.draw(st.integers(1, 5), label="page size")
    monkeypatch.setattr(listing, "GATHERED", gathered)

    listed, query = [], ListQuery(q=q, sort=sort)
    while True:
        page = list_page(session, visible_filter(sam), query, size)
        listed += [item.id for item in page.items]
        if not page.has_next:
            break
        query = ListQuery(q=q, sort=sort, after=page.next_cursor)
    expected = sorted((r for r in made if q.lower() in r.children_names[0].lower()
                       and r.team == "Central"),
                      key=lambda r: (r.sort_at, r.id), reverse=sort == "newest")
    assert listed == [r.id for r in expected]
    # Back by Previous from the last page, the same pages in reverse.
    back = []
    while page.has_previous:
        page = list_page(session, visible_filter(sam),
                         ListQuery(q=q, sort=sort, before=page.previous_cursor), size)
        back = [item.id for item in page.items] + back
    assert back + listed[len(back):] == listed
