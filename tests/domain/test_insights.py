"""Inclusion insight rules: age bands, small-cell suppression, shares, time to a level, cost
and premium per member, the segment filter language (hypothesis where it helps)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batea.domain.insights import segments as rules
from batea.domain.insights.bands import AGE_BAND_KEYS, AGE_BANDS, age_band, birth_years
from batea.domain.insights.levels import Position, evidence_date, position
from batea.domain.insights.measures import (
    distribution,
    money_by_year,
    month_keys,
    monthly,
    months_between,
    per_hundred,
    timing,
    women_share_comparison,
)
from batea.domain.insights.suppression import safe_count, safe_share, suppress
from batea.domain.pathway.engine import Answer, evaluate
from batea.domain.standards.catalogue import load_catalogue

# Age bands ----------------------------------------------------------------------------------


def test_age_bands_by_hand():
    assert age_band(2010, 2026) == "under-18"  # 16
    assert age_band(2008, 2026) == "18-24"  # 18
    assert age_band(2002, 2026) == "18-24"  # 24
    assert age_band(2001, 2026) == "25-34"
    assert age_band(1961, 2026) == "65-plus"  # 65
    assert age_band(1962, 2026) == "55-64"
    assert age_band(None, 2026) == "unknown"
    assert age_band(2030, 2026) == "unknown"  # born after the year: not a real age


@given(st.integers(1900, 2100), st.integers(1950, 2100))
def test_a_band_and_its_birth_years_agree(birth_year, year):
    band = age_band(birth_year, year)
    for key in AGE_BAND_KEYS[:-1]:
        oldest, youngest = birth_years(key, year)
        inside = (oldest is None or birth_year >= oldest) and (
            youngest is None or birth_year <= youngest
        )
        assert inside == (band == key), (key, birth_year, year)


def test_the_bands_cover_every_age_once():
    for age in range(0, 120):
        assert sum(band.contains(age) for band in AGE_BANDS) == 1


def test_the_unknown_band_has_no_birth_years():
    with pytest.raises(ValueError):
        birth_years("unknown", 2026)


# Suppression ---------------------------------------------------------------------------------

counts = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e", "f"]), st.integers(0, 40), min_size=1
)


@given(counts, st.integers(2, 10))
def test_suppression_never_reveals_a_group_smaller_than_k(table, k):
    result = suppress(table, k)
    total = sum(table.values())
    for key, shown in result.cells.items():
        if shown is not None:
            assert shown == table[key]  # what is shown is true
            assert shown == 0 or shown >= k  # and never a small group
    if total < k:
        assert result.total is None and all(v is None for v in result.cells.values())
    else:
        assert result.total == total
        # What subtraction from the total reveals is the hidden cells' sum: 0 or ≥ k.
        hidden = sum(table[key] for key in result.hidden)
        assert hidden == 0 or hidden >= k


@given(counts, st.integers(2, 10))
def test_suppression_hides_only_what_it_must(table, k):
    result = suppress(table, k)
    if sum(table.values()) >= k and all(v == 0 or v >= k for v in table.values()):
        assert result.hidden == []


@given(counts)
def test_shares_of_an_unsuppressed_table_add_up_to_one(table):
    rows, total = distribution(table)
    assert total == sum(table.values())
    if total:
        assert sum(row.share for row in rows) == pytest.approx(1)
        assert all(0 <= row.share <= 1 for row in rows)


@given(counts, st.integers(2, 10))
def test_shown_shares_of_a_suppressed_table_add_up_to_at_most_one(table, k):
    rows, total = distribution(table, k=k)
    shown = [row.share for row in rows if row.share is not None]
    assert sum(shown) <= 1 + 1e-9
    if not any(row.count is None for row in rows) and total:
        assert sum(shown) == pytest.approx(1)


def test_suppression_by_hand():
    result = suppress({"women": 3, "men": 40, "other": 0}, 5)
    # 3 is hidden, and so is 40: else 43 − 40 would give it away; zero stays.
    assert result.cells == {"women": None, "men": None, "other": 0}
    assert result.total == 43
    assert suppress({"women": 2, "men": 2}, 5).total is None
    assert suppress({"a": 3, "b": 7, "c": 9}, 5).cells == {"a": None, "b": None, "c": 9}
    assert suppress({"a": 3, "b": 2, "c": 9}, 5).cells == {"a": None, "b": None, "c": 9}
    assert suppress({"a": 1}, 1).cells == {"a": 1}  # k = 1: nothing hidden
    with pytest.raises(ValueError):
        suppress({"a": -1})


@given(st.integers(0, 60), st.integers(0, 60), st.integers(2, 10))
def test_a_safe_share_never_reveals_a_small_group(part, extra, k):
    whole = part + extra
    share = safe_share(part, whole, k)
    if share is not None:
        assert share == part / whole
        assert whole >= k
        assert part == 0 or part >= k
        assert extra == 0 or extra >= k


def test_safe_counts_and_shares():
    assert safe_count(3, 5) is None and safe_count(0, 5) == 0 and safe_count(5, 5) == 5
    assert safe_count(3, 1) == 3
    assert safe_share(0, 0) is None
    assert safe_share(1, 4, 1) == 0.25
    with pytest.raises(ValueError):
        safe_share(5, 4)


# Measures -----------------------------------------------------------------------------------


def test_women_share_comparison_with_gaps():
    rows = women_share_comparison(
        {"members": (30, 100), "committee": (2, 5), "beneficiaries": (60, 100)}
    )
    assert [r.key for r in rows] == ["members", "committee", "beneficiaries"]
    assert rows[0].share == 0.3 and rows[0].gap is None
    assert rows[1].share == 0.4 and rows[1].gap == pytest.approx(0.1)
    assert rows[2].gap == pytest.approx(0.3)
    public = women_share_comparison(
        {"members": (30, 100), "committee": (2, 5), "beneficiaries": (0, 0)}, k=5
    )
    assert public[1].share is None and public[1].gap is None  # 2 women of 5: hidden
    assert public[2].share is None  # nobody
    with pytest.raises(ValueError):
        women_share_comparison({"members": (3, 2)})


def test_timing_of_levels():
    summary = timing([12, 24, 36, 48])
    assert summary.reached == 4
    assert summary.median == 30
    assert (summary.fastest, summary.slowest) == (12, 48)
    assert summary.quartile_low == 21 and summary.quartile_high == 39
    assert timing([7]).median == 7 and timing([7]).quartile_low == 7
    few = timing([7, 9], min_organisations=3)
    assert few.reached == 2 and few.median is None
    assert timing([]).reached == 0


def test_months_between():
    assert months_between(date(2025, 1, 1), date(2026, 1, 1)) == pytest.approx(12, abs=0.01)
    assert months_between(date(2026, 1, 1), date(2025, 1, 1)) == 0


def test_money_per_member_by_year():
    rows = money_by_year(
        {(2025, "USD"): Decimal(3000)},
        {(2025, "USD"): Decimal(1000), (2026, "USD"): Decimal(500)},
        {(2026, "USD"): Decimal(2000)},
        members=100,
    )
    assert [(r.year, r.currency) for r in rows] == [(2025, "USD"), (2026, "USD")]
    assert rows[0].cost == 4000 and rows[0].cost_per_member == Decimal("40.00")
    assert rows[0].premium_per_member == 0
    assert rows[1].balance_per_member == Decimal("15.00")
    assert money_by_year({}, {(2026, "USD"): Decimal(1)}, {}, 0)[0].cost_per_member is None


def test_months_and_monthly_series():
    assert month_keys(date(2025, 11, 5), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    series = monthly({"a": {"2026-01": Decimal(3)}}, date(2025, 12, 1), date(2026, 1, 31))
    assert series == [("2025-12", {"a": 0}), ("2026-01", {"a": 3})]
    assert per_hundred(3, 60) == 5.0 and per_hundred(1, 0) is None


# Levels and when they were reached ------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "example-standard.yaml"


@pytest.fixture(scope="module")
def catalogue():
    found, problems = load_catalogue(EXAMPLE.read_bytes(), EXAMPLE.name)
    assert found is not None, problems
    return found


def entry_on(catalogue, answered: date, value: str = "compliant", entry=date(2024, 1, 1)):
    """The example standard evaluated with its entry level's one requirement answered."""
    answers = [Answer("EX-LEG-01", value, assessed_on=answered)]
    return evaluate(catalogue, entry, date(2026, 1, 1), answers)


def test_the_level_is_dated_by_the_newest_answer_it_rests_on(catalogue):
    result = entry_on(catalogue, date(2024, 6, 1))
    entry_level = result.levels[0]
    assert entry_level.level.id == "entry" and entry_level.met
    assert evidence_date(result, entry_level) == date(2024, 6, 1)
    assert position([(result, "entry")], date(2024, 1, 1)) == Position(1, (date(2024, 6, 1),))


def test_a_rung_is_reached_no_earlier_than_the_one_below(catalogue):
    lower = entry_on(catalogue, date(2025, 6, 1))
    upper = entry_on(catalogue, date(2024, 3, 1))
    pos = position([(lower, "entry"), (upper, "entry")], date(2024, 1, 1))
    assert pos.reached_on == (date(2025, 6, 1), date(2025, 6, 1))


def test_climbing_stops_at_the_first_rung_not_met(catalogue):
    entry = date(2024, 1, 1)
    failed = entry_on(catalogue, date(2025, 6, 1), "non_compliant")
    met = entry_on(catalogue, date(2025, 6, 1))
    assert position([(failed, "entry"), (met, "entry")], entry) == Position(0)
    assert position([(None, "entry")], entry) == Position(0)
    # A level the version does not have does not apply: it is passed through.
    assert position([(met, "entry"), (met, "nothing-like-it")], entry).climbed == 2
    # Evidence from before the entry date counts from the entry.
    early = entry_on(catalogue, date(2023, 6, 1))
    assert position([(early, "entry")], entry).reached_on == (entry,)


# Segments --------------------------------------------------------------------------------------

WORDS = rules.Vocabulary(
    {
        "gender": ("female", "male", "other", "undisclosed"),
        "role": ("owner", "worker", "processor", "selector", "panner", "trader", "other"),
        "status": ("applicant", "approved", "conditional", "suspended", "excluded", "left"),
        "age": AGE_BAND_KEYS,
        "licence": ("formal", "partial", "in_process", "informal"),
    },
    6,
)


def test_a_filter_is_parsed_into_clauses():
    definition, problems = rules.parse(
        "gender = Female AND role in (panner, selector) and licence != formal and level >= 1 "
        "and country not in (co, pe) and age in (18-24)",
        WORDS,
    )
    assert problems == []
    assert definition == {
        "clauses": [
            {"field": "gender", "op": "in", "values": ["female"]},
            {"field": "role", "op": "in", "values": ["panner", "selector"]},
            {"field": "licence", "op": "not_in", "values": ["formal"]},
            {"field": "level", "op": ">=", "values": [1]},
            {"field": "country", "op": "not_in", "values": ["CO", "PE"]},
            {"field": "age", "op": "in", "values": ["18-24"]},
        ]
    }
    assert rules.parse("", WORDS) == ({"clauses": []}, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = red", "Unknown field “colour”"),
        ("gender = woman", "gender cannot be “woman”; it is one of: female, male"),
        ("gender > female", "gender has no order"),
        ("level = 9", "Level “9” is not a number from 0 to 6."),
        ("level = high", "Level “high” is not a number"),
        ("country = XX", "“XX” is not an ISO 3166-1 alpha-2 country code"),
        ("gender =", "The filter ends too early: expected a value."),
        ("gender female", "Expected an operator (=, !=, in, not in) at character 8"),
        ("role in panner", "Expected “(” at character 9"),
        ("role in (panner selector)", "Expected “,” or “)” at character 17"),
        ("gender = female or role = panner", "Expected “and” at character 17"),
        ("gender = female and", "The filter ends too early: expected a clause after “and”."),
        ("gender = female; drop", "Unexpected “;” at character 16."),
        ("role not panner", "Expected “in” at character 10"),
    ],
)
def test_a_bad_filter_says_what_and_where(text, message):
    definition, problems = rules.parse(text, WORDS)
    assert definition is None
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_every_value_problem_is_listed():
    _definition, problems = rules.parse("gender in (woman, man) and role = boss", WORDS)
    assert [p.path for p in problems] == [
        "clauses[0].values[0]",
        "clauses[0].values[1]",
        "clauses[1].values[0]",
    ]


def test_stored_definitions_are_checked_too():
    assert rules.check([], WORDS)[0].path == "definition"
    assert rules.check({"clauses": ["x"]}, WORDS)[0].path == "clauses[0]"
    problems = rules.check({"clauses": [{"field": "role", "op": "~", "values": []}]}, WORDS)
    assert {p.path for p in problems} == {"clauses[0].op", "clauses[0].values"}
    too_many = {"clauses": [{"field": "role", "op": "in", "values": ["owner"]}] * 21}
    assert "at most 20 clauses" in rules.check(too_many, WORDS)[0].message
    comparison = {"clauses": [{"field": "level", "op": ">=", "values": [1, 2]}]}
    assert "exactly one value" in rules.check(comparison, WORDS)[0].message
    assert rules.parse("x" * 1001, WORDS)[1][0].params == {"limit": 1000}


def _clause():
    member = st.sampled_from(["gender", "role", "status", "age", "licence"]).flatmap(
        lambda field: st.builds(
            lambda op, values: {"field": field, "op": op, "values": values},
            st.sampled_from(["in", "not_in"]),
            st.lists(st.sampled_from(WORDS.values[field]), min_size=1, max_size=3, unique=True),
        )
    )
    level = st.builds(
        lambda op, value: {"field": "level", "op": op, "values": [value]},
        st.sampled_from(rules.OPS),
        st.integers(0, 6),
    )
    country = st.builds(
        lambda op, values: {"field": "country", "op": op, "values": values},
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from(["CO", "PE", "UG"]), min_size=1, max_size=3, unique=True),
    )
    return st.one_of(member, level, country)


@given(st.lists(_clause(), max_size=6))
def test_describing_and_parsing_give_the_definition_back(clauses):
    definition = {"clauses": clauses}
    assert rules.check(definition, WORDS) == []
    again, problems = rules.parse(rules.describe(definition), WORDS)
    assert problems == []
    assert again == definition


records = st.fixed_dictionaries(
    {
        "gender": st.sampled_from(WORDS.values["gender"]),
        "role": st.sampled_from(WORDS.values["role"]),
        "status": st.sampled_from(WORDS.values["status"]),
        "age": st.sampled_from(WORDS.values["age"]),
        "licence": st.sampled_from(WORDS.values["licence"]),
        "country": st.sampled_from(["CO", "PE", "UG"]),
        "level": st.integers(0, 6),
    }
)


@given(st.lists(_clause(), max_size=4), st.lists(records, max_size=30))
def test_a_segment_is_the_intersection_of_its_clauses(clauses, people):
    definition = {"clauses": clauses}
    for person in people:
        inside = rules.matches(definition, person)
        expected = all(rules.holds(c, person[c["field"]]) for c in clauses)
        if not any(c["field"] == "status" for c in clauses):
            expected = expected and person["status"] in rules.CURRENT_STATUSES
        assert inside == expected
    # Adding a clause never lets more people in.
    narrower = {"clauses": [*clauses, {"field": "gender", "op": "in", "values": ["female"]}]}
    assert sum(rules.matches(narrower, p) for p in people) <= sum(
        rules.matches(definition, p) for p in people
    )


def test_segments_from_form_choices_and_levels():
    definition = rules.from_choices({"gender": ["female"], "role": [], "level": [0, 1]})
    assert definition == {
        "clauses": [
            {"field": "gender", "op": "in", "values": ["female"]},
            {"field": "level", "op": "in", "values": [0, 1]},
        ]
    }
    assert rules.level_values({"field": "level", "op": "<", "values": [2]}, 6) == [0, 1]
    assert rules.describe(definition) == "gender = female and level in (0, 1)"
    assert rules.effective({"clauses": []})["clauses"][0]["values"] == list(rules.CURRENT_STATUSES)
