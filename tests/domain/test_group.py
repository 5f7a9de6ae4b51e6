"""Group certification rules: risk, sampling, sanctions and ICS reliability."""

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batea.domain.group.risk import MemberFacts, classify
from batea.domain.group.sampling import (
    Candidate,
    Policy,
    SamplingError,
    base_size,
    cohens_kappa,
    draw,
)
from batea.domain.group.sanctions import check_sanction, check_transition

TODAY = date(2026, 6, 1)


class TestRisk:
    def test_a_settled_inspected_member_without_findings_is_low_risk(self):
        result = classify(
            MemberFacts("m", date(2015, 1, 1), last_inspected_on=date(2026, 1, 1)), TODAY
        )
        assert (result.risk, result.points, result.reasons) == ("low", 0, ())

    def test_every_class_comes_with_its_reasons(self):
        facts = MemberFacts(
            "m",
            date(2026, 3, 1),
            open_nonconformities=1,
            uses_mercury=True,
            site_attributes={"armed_group_presence": True},
        )
        result = classify(facts, TODAY)
        assert result.risk == "high"
        assert {r.path for r in result.reasons} == {
            "new_member",
            "open_nonconformities",
            "mercury_use",
            "not_inspected",
            "armed_group_presence",
        }
        assert result.points == sum(r.params["points"] for r in result.reasons)

    def test_rules_are_data(self):
        facts = MemberFacts(
            "m", date(2015, 1, 1), uses_mercury=True, last_inspected_on=date(2026, 1, 1)
        )
        lenient = {
            "thresholds": {"medium": 5, "high": 9},
            "factors": {"mercury_use": {"points": 2}},
        }
        assert classify(facts, TODAY).risk == "medium"
        assert classify(facts, TODAY, lenient).risk == "low"


class TestSampleSize:
    @pytest.mark.parametrize(
        ("n", "expected"), [(1, 1), (4, 2), (10, 4), (100, 10), (101, 11), (10_000, 100)]
    )
    def test_square_root(self, n, expected):
        assert base_size(n, Policy("square_root"))[0] == expected

    @pytest.mark.parametrize(
        ("n", "expected"), [(3, 3), (10, 10), (11, 10), (200, 10), (201, 11), (2_000, 100)]
    )
    def test_eu_minimum_five_percent_never_fewer_than_ten_all_when_ten_or_fewer(self, n, expected):
        assert base_size(n, Policy("eu_minimum"))[0] == expected

    def test_percentage(self):
        assert base_size(250, Policy("percentage", percentage=10))[0] == 25

    def test_an_empty_group_cannot_be_sampled(self):
        with pytest.raises(SamplingError, match="no members"):
            draw([], Policy(), seed=1)


risks = st.sampled_from(["low", "medium", "high"])
groups = st.lists(st.tuples(risks, st.booleans()), min_size=1, max_size=400)
policies = st.sampled_from(
    [Policy("square_root"), Policy("eu_minimum"), Policy("percentage", percentage=7)]
)


def candidates_of(group):
    return [
        Candidate(f"m{i:05d}", risk, open_major_nonconformity=major)
        for i, (risk, major) in enumerate(group)
    ]


@settings(max_examples=150, deadline=None)
@given(groups, policies, st.integers(0, 2**32))
def test_sampling_properties(group, policy, seed):
    candidates = candidates_of(group)
    sample = draw(candidates, policy, seed)
    members = [d.member for d in sample.drawn]
    # The size follows the formula scaled by risk, and never exceeds the group.
    assert len(members) == len(set(members)) == sample.size <= len(candidates)
    assert sample.size >= base_size(len(candidates), policy)[0]
    # Deterministic for a seed.
    assert [d.member for d in draw(list(reversed(candidates)), policy, seed).drawn] == members
    # Always-include rules hold.
    forced = {c.member for c in candidates if c.open_major_nonconformity}
    assert forced <= set(members)
    # Higher-risk strata are sampled at least as heavily as lower-risk ones (beyond those
    # forced in), within the rounding of one member per stratum.
    rates = {}
    for risk in ("high", "medium", "low"):
        pool = [c for c in candidates if c.risk == risk and c.member not in forced]
        if pool:
            taken = sum(1 for d in sample.drawn if d.risk == risk and d.member not in forced)
            rates[risk] = (taken / len(pool), 1 / len(pool))
    if "high" in rates and "low" in rates:
        (high, high_step), (low, low_step) = rates["high"], rates["low"]
        assert high >= low - high_step - low_step


@pytest.mark.parametrize("n", [1, 2, 9, 10, 11, 99, 100, 1_000, 10_000])
@pytest.mark.parametrize("method", ["square_root", "eu_minimum"])
def test_sizes_for_groups_of_1_to_10000(n, method):
    candidates = [Candidate(f"m{i}") for i in range(n)]
    sample = draw(candidates, Policy(method), seed=42)
    expected = (
        math.ceil(math.sqrt(n))
        if method == "square_root"
        else n
        if n <= 10
        else max(10, math.ceil(0.05 * n))
    )
    assert sample.size == expected  # all low risk: no scaling


def test_risk_scales_the_size_and_the_arithmetic_is_explained():
    candidates = [Candidate(f"m{i}", "high" if i < 20 else "low") for i in range(100)]
    sample = draw(candidates, Policy("square_root"), seed=7)
    assert sample.base_size == 10
    assert sample.size == math.ceil(10 * (20 * 1.5 + 80 * 1.0) / 100)
    assert sample.arithmetic[0] == "√100 = 10.00 → 10"
    assert "average risk factor" in sample.arithmetic[1]


class TestSanctions:
    def test_the_state_machine(self):
        assert check_transition("applicant", "approved") is None
        assert check_transition("approved", "conditional") is None
        assert check_transition("excluded", "applicant") is None  # readmission
        assert (
            "cannot go from applicant to suspended"
            in check_transition("applicant", "suspended").message
        )

    def test_a_sanction_must_be_in_the_catalogue(self):
        catalogue = [
            {"id": "warning", "member_status": "approved"},
            {"id": "suspension", "member_status": "suspended"},
        ]
        assert check_sanction("suspension", catalogue, "approved") == ("suspended", None)
        assert check_sanction("warning", catalogue, "approved") == ("approved", None)
        _, problem = check_sanction("fine", catalogue, "approved")
        assert "no sanction fine" in problem.message
        _, problem = check_sanction("suspension", catalogue, "applicant")
        assert problem is not None


def test_cohens_kappa():
    pairs = [("ok", "ok")] * 8 + [("nc", "nc")] * 1 + [("ok", "nc")]
    agreement, kappa = cohens_kappa(pairs)
    assert agreement == 0.9
    assert kappa == pytest.approx(0.6154, abs=1e-3)
    assert cohens_kappa([("ok", "ok")] * 3) == (1.0, 1.0)


class TestRiskRuleSets:
    """Rules a standard owner or support organisation writes are checked before they count:
    every problem names the path (and, from text, the line) of the value to fix."""

    def paths(self, rules) -> dict[str, str]:
        from batea.domain.group.risk import check_rules

        return {p.path: p.message for p in check_rules(rules)}

    def test_the_defaults_are_a_valid_rule_set(self):
        from batea.domain.group.risk import DEFAULT_RULES, check_rules

        assert check_rules(DEFAULT_RULES) == []

    def test_unknown_factors_negative_points_and_bad_thresholds_are_problems_with_paths(self):
        problems = self.paths(
            {
                "thresholds": {"medium": 2, "high": 4},
                "factors": {"lucky_charm": {"points": 1}, "mercury_use": {"points": -2}},
            }
        )
        assert "Unknown risk factor lucky_charm" in problems["factors.lucky_charm"]
        assert "-2 is out of range" in problems["factors.mercury_use.points"]

    def test_the_medium_threshold_cannot_be_above_the_high_one(self):
        problems = self.paths({"thresholds": {"medium": 5, "high": 3}, "factors": {}})
        assert problems == {
            "thresholds.medium": "The medium threshold (5) must not be above the high one (3)."
        }

    def test_missing_and_unknown_keys_and_repeated_attribute_rules(self):
        assert "The key thresholds is required." in self.paths({"factors": {}}).values()
        unknown = self.paths({"thresholds": {"medium": 1, "high": 2}, "factors": {}, "colour": 1})
        assert "Unknown key colour" in unknown[""]
        twice = self.paths(
            {
                "thresholds": {"medium": 1, "high": 2},
                "factors": {},
                "attribute_rules": [
                    {"attribute": "armed_group_presence", "equals": True, "points": 4},
                    {"attribute": "armed_group_presence", "equals": True, "points": 2},
                ],
            }
        )
        assert twice == {
            "attribute_rules[1]": "The rule armed_group_presence = True is given twice."
        }

    def test_factor_parameters_are_checked(self):
        problems = self.paths(
            {
                "thresholds": {"medium": 1, "high": 2},
                "factors": {
                    "new_member": {"points": 1, "months": 0},
                    "large_holding": {"points": 1, "hectares": "big"},
                    "cyanide_use": {"points": 1, "days": 3},
                },
            }
        )
        assert set(problems) == {
            "factors.new_member.months",
            "factors.large_holding.hectares",
            "factors.cyanide_use",
        }

    def test_rules_written_as_yaml_are_read_with_the_line_of_each_problem(self):
        from batea.domain.group.risk import load_rules

        text = "thresholds: {medium: 2, high: 4}\nfactors:\n  mercury_use: {points: -1}\n"
        rules, problems = load_rules(text)
        assert rules is None
        assert [(p.path, p.line) for p in problems] == [("factors.mercury_use.points", 3)]

    def test_rules_written_as_json_are_read_too(self):
        from batea.domain.group.risk import load_rules

        rules, problems = load_rules('{"thresholds": {"medium": 1, "high": 3}, "factors": {}}')
        assert (rules, problems) == ({"thresholds": {"medium": 1, "high": 3}, "factors": {}}, [])
        _, problems = load_rules('{"thresholds": {"medium": 1, "medium": 3}}')
        assert "given twice" in problems[0].message

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", "Write the rules"),
            ("thresholds: [", "Malformed YAML"),
            ('{"thresholds": ', "Malformed JSON"),
            ("- just\n- a list\n", "must be a mapping"),
            ("x: " + "a" * 70_000, "longer than"),
        ],
    )
    def test_text_that_is_not_a_rule_set_is_refused_with_a_message(self, text, expected):
        from batea.domain.group.risk import load_rules

        rules, problems = load_rules(text)
        assert rules is None
        assert expected in problems[0].message

    def test_a_rule_set_is_described_in_words(self):
        from batea.domain.group.risk import DEFAULT_RULES, describe

        lines = [line.message for line in describe(DEFAULT_RULES)]
        assert "Mercury is used at the site: +2" in lines
        assert "Not inspected in the last 12 months: +2" in lines
        assert "Site survey: child_labour_reported = True: +4" in lines
        assert len(lines) == len(DEFAULT_RULES["factors"]) + len(DEFAULT_RULES["attribute_rules"])


factor_names = st.sampled_from(
    [
        "new_member",
        "open_nonconformities",
        "past_nonconformities",
        "mercury_use",
        "cyanide_use",
        "red_flag_area",
        "production_anomaly",
        "not_inspected",
        "large_holding",
    ]
)
valid_rules = st.builds(
    lambda factors, medium, extra: {
        "thresholds": {"medium": medium, "high": medium + extra},
        "factors": factors,
    },
    st.dictionaries(factor_names, st.builds(lambda p: {"points": p}, st.integers(0, 100))),
    st.integers(1, 50),
    st.integers(0, 50),
)
member_facts = st.builds(
    MemberFacts,
    member=st.just("m"),
    joined_on=st.dates(date(2000, 1, 1), TODAY),
    open_nonconformities=st.integers(0, 3),
    past_nonconformities=st.integers(0, 3),
    last_inspected_on=st.none() | st.dates(date(2020, 1, 1), TODAY),
    uses_mercury=st.booleans(),
    uses_cyanide=st.booleans(),
    in_red_flag_area=st.booleans(),
    production_anomaly=st.booleans(),
    holding_hectares=st.none() | st.floats(0, 100),
)


@settings(max_examples=150, deadline=None)
@given(valid_rules, member_facts)
def test_any_valid_rule_set_classifies_with_reasons_that_add_up(rules, facts):
    from batea.domain.group.risk import check_rules

    assert check_rules(rules) == []
    result = classify(facts, TODAY, rules)
    assert result.points == sum(r.params["points"] for r in result.reasons)
    assert {r.path for r in result.reasons} <= set(rules["factors"])
    high, medium = rules["thresholds"]["high"], rules["thresholds"]["medium"]
    expected = "high" if result.points >= high else "medium" if result.points >= medium else "low"
    assert result.risk == expected


def test_red_flag_areas_and_production_anomalies_weigh_when_known():
    quiet = MemberFacts("m", date(2015, 1, 1), last_inspected_on=date(2026, 1, 1))
    flagged = MemberFacts(
        "m",
        date(2015, 1, 1),
        last_inspected_on=date(2026, 1, 1),
        in_red_flag_area=True,
        production_anomaly=True,
    )
    assert classify(quiet, TODAY).risk == "low"
    result = classify(flagged, TODAY)
    assert (result.risk, result.points) == ("high", 7)
    assert {r.path for r in result.reasons} == {"red_flag_area", "production_anomaly"}


class TestAssuranceModels:
    def test_a_catalogue_without_the_key_accepts_individual_and_ics_group_but_not_a_pgs(self):
        from batea.domain.group.assurance import accepted_models, check_model

        assert accepted_models({}) == ("individual", "ics_group")
        assert check_model({}, "ics_group", "X") is None
        assert "X does not accept a Participatory Guarantee System" in (
            check_model({}, "pgs", "X").message
        )

    def test_a_declared_list_is_what_counts(self):
        from batea.domain.group.assurance import accepted_models, check_model

        screen = {"assurance": {"models": ["individual"], "basis": "inferred"}}
        assert accepted_models(screen) == ("individual",)
        problem = check_model(screen, "ics_group", "Risk screen")
        assert problem.message.startswith(
            "Risk screen does not accept group certification with an Internal Control System"
        )
