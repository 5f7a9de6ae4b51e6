"""The pathway engine: levels, blocking requirements, deadlines and next steps."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from batea.domain.pathway import Answer, Population, evaluate, evaluate_ladder, years_since
from batea.domain.pathway.engine import choose_answers
from batea.domain.pathway.ladder import Rung, current_rung, reuse_answers
from batea.domain.standards import load_catalogue
from batea.domain.standards.crosswalk import Crosswalk, Mapping
from tests.conftest import EXAMPLE_STANDARD

CATALOGUE, _ = load_catalogue(EXAMPLE_STANDARD.read_text())
ENTRY = date(2020, 3, 1)
MEMBERS = frozenset({"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10"})
SITES = frozenset({"s1", "s2"})
POPULATION = Population(MEMBERS, SITES)
ELIGIBLE = {"gold_grams_per_miner_day": 2.5}


def everything_compliant(score: int = 4) -> list[Answer]:
    answers = [Answer("EX-LEG-01", "compliant", kind="audit", assessed_on=date(2025, 1, 1))]
    answers += [Answer("EX-LEG-02", "compliant", subject=m) for m in MEMBERS]
    answers += [Answer("EX-ENV-01", score=score, subject=s) for s in SITES]
    answers += [Answer("EX-ENV-02", "compliant", subject=s) for s in SITES]
    return answers


def level(result, level_id):
    return next(lr for lr in result.levels if lr.level.id == level_id)


def test_years_since_entry_count_whole_anniversaries():
    assert years_since(date(2020, 3, 1), date(2023, 2, 28)) == 2
    assert years_since(date(2020, 3, 1), date(2023, 3, 1)) == 3
    assert years_since(date(2020, 3, 1), date(2019, 1, 1)) == 0


def test_a_fully_compliant_eligible_organisation_reaches_every_level():
    result = evaluate(
        CATALOGUE, ENTRY, date(2026, 1, 1), everything_compliant(), POPULATION, ELIGIBLE
    )
    assert [lr.met for lr in result.levels] == [True, True, True]
    assert result.current_level.level.id == "certified-ecological"
    assert result.next_steps == []


def test_a_development_average_of_2_8_fails_and_3_0_passes():
    # Scores averaged over the development requirement's sites: 2.8 vs 3.0.
    def with_average(first: int, second: float):
        answers = [a for a in everything_compliant() if a.requirement != "EX-ENV-01"]
        answers += [
            Answer("EX-ENV-01", score=first, subject="s1"),
            Answer("EX-ENV-01", score=second, subject="s2"),
        ]
        return evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers, POPULATION, ELIGIBLE)

    failing = level(with_average(3, 2.6), "certified")
    assert failing.development_average == 2.8
    assert not failing.met
    passing = level(with_average(3, 3), "certified")
    assert passing.development_average == 3.0
    assert passing.met


def test_the_eligibility_threshold_of_4_grams_per_miner_day_is_enforced():
    over = evaluate(
        CATALOGUE,
        ENTRY,
        date(2026, 1, 1),
        everything_compliant(),
        POPULATION,
        {"gold_grams_per_miner_day": 4.2},
    )
    assert not level(over, "certified").met
    assert level(over, "certified").eligibility == [("productivity", False, 4.2)]
    at_limit = evaluate(
        CATALOGUE,
        ENTRY,
        date(2026, 1, 1),
        everything_compliant(),
        POPULATION,
        {"gold_grams_per_miner_day": 4},
    )
    assert level(at_limit, "certified").met


def test_member_requirements_roll_up_by_share_and_show_the_distribution():
    answers = [a for a in everything_compliant() if a.requirement != "EX-LEG-02"]
    answers += [Answer("EX-LEG-02", "compliant", subject=m) for m in sorted(MEMBERS)[:8]]
    answers += [Answer("EX-LEG-02", "non_compliant", subject="m8")]
    result = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers, POPULATION, ELIGIBLE)
    rollup = result.requirements["EX-LEG-02"]
    assert (rollup.compliant, rollup.applicable) == (8, 10)
    assert set(rollup.failing) == {"m8", "m9"}
    assert not level(result, "certified").met  # 80 % < 90 %
    assert "8 of 10 comply" in result.next_steps[0].reason.message


def test_answers_combine_by_precedence_and_say_where_they_came_from():
    answers = everything_compliant()
    answers += [Answer("EX-LEG-01", "non_compliant", kind="self", assessed_on=date(2025, 6, 1))]
    result = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers, POPULATION, ELIGIBLE)
    assert result.requirements["EX-LEG-01"].met  # the audit outranks a later self-assessment
    assert result.requirements["EX-LEG-01"].source == "audit 2025-01-01"
    newer_audit = answers + [
        Answer("EX-LEG-01", "non_compliant", kind="audit", assessed_on=date(2025, 9, 1))
    ]
    result = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), newer_audit, POPULATION, ELIGIBLE)
    assert not result.requirements["EX-LEG-01"].met


def test_answers_given_after_the_evaluation_date_are_not_known_yet():
    answers = [Answer("EX-LEG-01", "compliant", kind="audit", assessed_on=date(2026, 5, 1))]
    assert not evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers).levels[0].met
    assert evaluate(CATALOGUE, ENTRY, date(2026, 6, 1), answers).levels[0].met


def test_obligations_binding_later_are_listed_with_their_dates():
    result = evaluate(
        CATALOGUE, ENTRY, date(2020, 6, 1), everything_compliant(), POPULATION, ELIGIBLE
    )
    assert [(o.requirement.id, o.binding_on) for o in result.upcoming] == [
        ("EX-LEG-02", date(2021, 3, 1)),
        ("EX-ENV-01", date(2023, 3, 1)),
    ]


def test_next_steps_are_ordered_by_deadline_then_severity():
    answers = [Answer("EX-LEG-01", "non_compliant")]
    result = evaluate(CATALOGUE, ENTRY, date(2020, 6, 1), answers, POPULATION, ELIGIBLE)
    assert [s.requirement.id for s in result.next_steps] == ["EX-LEG-01", "EX-LEG-02", "EX-ENV-01"]
    assert result.next_steps[0].due == date(2020, 6, 1)


answer_values = st.sampled_from(["compliant", "partly", "non_compliant", "not_applicable"])
kinds = st.sampled_from(["self", "peer", "ics", "audit"])
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31))
REQUIREMENT_SUBJECTS = [
    ("EX-LEG-01", None),
    *(("EX-LEG-02", m) for m in sorted(MEMBERS)),
    *(("EX-ENV-02", s) for s in sorted(SITES)),
]


@st.composite
def answer_sets(draw):
    answers = []
    for requirement, subject in REQUIREMENT_SUBJECTS:
        for _ in range(draw(st.integers(0, 2))):
            answers.append(
                Answer(
                    requirement,
                    draw(answer_values),
                    subject=subject,
                    kind=draw(kinds),
                    assessed_on=draw(days),
                )
            )
    for site in sorted(SITES):
        if draw(st.booleans()):
            answers.append(
                Answer(
                    "EX-ENV-01",
                    score=draw(st.integers(1, 5)),
                    subject=site,
                    kind=draw(kinds),
                    assessed_on=draw(days),
                )
            )
    return answers


def levels_met(answers, on=date(2026, 1, 1)):
    result = evaluate(CATALOGUE, ENTRY, on, answers, POPULATION, ELIGIBLE)
    return [lr.met for lr in result.levels]


@settings(max_examples=150, deadline=None)
@given(answer_sets(), st.sampled_from(REQUIREMENT_SUBJECTS), kinds, days)
def test_adding_a_compliant_answer_never_lowers_a_level(answers, target, kind, day):
    requirement, subject = target
    before = levels_met(answers)
    after = levels_met(
        answers + [Answer(requirement, "compliant", subject=subject, kind=kind, assessed_on=day)]
    )
    assert all(a >= b for a, b in zip(after, before, strict=True))


@settings(max_examples=150, deadline=None)
@given(answer_sets())
def test_a_binding_non_compliant_core_requirement_always_blocks(answers):
    # EX-LEG-01 is core and binding from year 0: an audit answer outranks all others.
    verdict = Answer("EX-LEG-01", "non_compliant", kind="audit", assessed_on=date(2026, 1, 1))
    assert levels_met(answers + [verdict]) == [False, False, False]


@settings(max_examples=100, deadline=None)
@given(answer_sets())
def test_a_requirement_not_yet_binding_never_blocks(answers):
    # In the first year after entry, EX-ENV-01 (binding from year 3) cannot matter.
    on = date(2020, 6, 1)
    without = [a for a in answers if a.requirement != "EX-ENV-01"]
    failing = without + [
        Answer("EX-ENV-01", score=1, subject=s, kind="audit", assessed_on=date(2020, 5, 1))
        for s in SITES
    ]
    assert levels_met(failing, on) == levels_met(without, on)


@settings(max_examples=100, deadline=None)
@given(answer_sets(), st.randoms())
def test_evaluation_is_deterministic_whatever_the_order_of_answers(answers, rng):
    shuffled = list(answers)
    rng.shuffle(shuffled)
    first = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers, POPULATION, ELIGIBLE)
    second = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), shuffled, POPULATION, ELIGIBLE)
    assert [lr.met for lr in first.levels] == [lr.met for lr in second.levels]
    assert [(s.requirement.id, s.due) for s in first.next_steps] == [
        (s.requirement.id, s.due) for s in second.next_steps
    ]


def test_answers_reach_other_standards_through_crosswalks_marked_as_reused():
    later = load_catalogue(
        EXAMPLE_STANDARD.read_text().replace("id: example-mini-standard", "id: example-next")
    )[0]
    crosswalk = Crosswalk(
        "x",
        {},
        ("example-mini-standard", "1.0"),
        ("example-next", "1.0"),
        [
            Mapping("EX-LEG-01", "EX-LEG-01", "equivalent"),
            Mapping("EX-ENV-02", "EX-ENV-02", "partial"),
        ],
        {},
    )
    answers = {"example-mini-standard": everything_compliant()}
    reused = reuse_answers("example-next", answers, [crosswalk])
    assert {a.requirement for a in reused} == {"EX-LEG-01"}  # partial mappings are not reused
    assert reused[0].reused_from == "example-mini-standard:EX-LEG-01"
    rungs = [Rung(CATALOGUE, "certified"), Rung(later, "entry")]
    results = evaluate_ladder(
        rungs, answers, [crosswalk], ENTRY, date(2026, 1, 1), POPULATION, ELIGIBLE
    )
    assert [r.met for r in results] == [True, True]
    assert current_rung(results) == 2
    assert (
        results[1]
        .standard.requirements["EX-LEG-01"]
        .source.endswith("via example-mini-standard:EX-LEG-01")
    )


class TestReuseAcrossSubjects:
    """A crosswalk may link an organisation-level requirement to a member- or site-level one."""

    NEXT = load_catalogue(
        EXAMPLE_STANDARD.read_text().replace("id: example-mini-standard", "id: example-next")
    )[0]
    CATALOGUES = {"example-mini-standard": CATALOGUE, "example-next": NEXT}

    def reuse(self, answers, mapping):
        crosswalk = Crosswalk(
            "x", {}, ("example-mini-standard", "1.0"), ("example-next", "1.0"), [mapping], {}
        )
        return reuse_answers(
            "example-next",
            {"example-mini-standard": answers},
            [crosswalk],
            self.CATALOGUES,
            POPULATION,
        )

    def test_an_organisation_answer_stands_for_every_site(self):
        answers = [Answer("EX-LEG-01", "compliant", kind="audit", assessed_on=date(2025, 1, 1))]
        reused = self.reuse(answers, Mapping("EX-LEG-01", "EX-ENV-02", "equivalent"))
        assert sorted((a.requirement, a.subject, a.value) for a in reused) == [
            ("EX-ENV-02", "s1", "compliant"),
            ("EX-ENV-02", "s2", "compliant"),
        ]
        assert {a.reused_from for a in reused} == {"example-mini-standard:EX-LEG-01"}

    def test_sites_reach_an_organisation_requirement_through_their_roll_up(self):
        complying = [Answer("EX-ENV-02", "compliant", subject=s) for s in SITES]
        mapping = Mapping("EX-ENV-02", "EX-LEG-01", "equivalent")
        (reused,) = self.reuse(complying, mapping)
        assert (reused.requirement, reused.subject, reused.value) == (
            "EX-LEG-01",
            None,
            "compliant",
        )
        one_failing = [
            Answer("EX-ENV-02", "compliant", subject="s1"),
            Answer("EX-ENV-02", "non_compliant", subject="s2"),
        ]
        (reused,) = self.reuse(one_failing, mapping)
        assert reused.value == "non_compliant"  # the roll-up rule (all sites) is not met

    def test_a_failed_roll_up_does_not_fail_a_narrower_requirement(self):
        one_failing = [
            Answer("EX-ENV-02", "compliant", subject="s1"),
            Answer("EX-ENV-02", "non_compliant", subject="s2"),
        ]
        assert self.reuse(one_failing, Mapping("EX-ENV-02", "EX-LEG-01", "broader")) == []

    def test_nothing_carries_between_members_and_sites(self):
        answers = [Answer("EX-LEG-02", "compliant", subject=m) for m in MEMBERS]
        assert self.reuse(answers, Mapping("EX-LEG-02", "EX-ENV-02", "equivalent")) == []


class TestCorrectiveActionRules:
    def test_severity_follows_the_requirement_kind(self):
        from batea.domain.pathway.actions import severity_for

        assert [severity_for(k) for k in ("core", "major", "development", "voluntary")] == [
            "critical",
            "major",
            "minor",
            None,
        ]

    def test_deadlines_default_to_six_and_three_months_or_follow_the_standard(self):
        from batea.domain.pathway.actions import default_due

        raised = date(2026, 1, 1)
        assert default_due(raised, "minor", None) == date(2026, 6, 30)
        assert default_due(raised, "major", None) == date(2026, 4, 1)
        assert default_due(raised, "major", {"deadline_days": {"minor": 30, "major": 10}}) == date(
            2026, 1, 11
        )

    def test_an_overdue_minor_becomes_major_and_an_overdue_major_is_flagged(self):
        from batea.domain.pathway.actions import escalate

        due = date(2026, 3, 1)
        assert escalate("minor", due, date(2026, 3, 1)).severity == "minor"
        assert escalate("minor", due, date(2026, 3, 2)).severity == "major"
        major = escalate("major", due, date(2026, 4, 1))
        assert major.flag_for_suspension and major.overdue_days == 31
        assert not escalate(
            "major", due, date(2026, 4, 1), {"overdue_major_leads_to_suspension": False}
        ).flag_for_suspension

    @given(st.sampled_from(["minor", "major", "critical"]), days, days)
    def test_escalation_never_lowers_severity(self, severity, due, today):
        from batea.domain.pathway.actions import SEVERITY_RANK, escalate

        assert SEVERITY_RANK[escalate(severity, due, today).severity] >= SEVERITY_RANK[severity]


def test_only_compliant_answers_carry_over_a_broader_mapping():
    crosswalk = Crosswalk(
        "x",
        {},
        ("a", "1"),
        ("b", "1"),
        [Mapping("R1", "S1", "broader"), Mapping("R2", "S2", "equivalent")],
        {},
    )
    answers = {
        "a": [
            Answer("R1", "non_compliant"),
            Answer("R2", "non_compliant"),
            Answer("R1", "compliant", subject="m1"),
        ]
    }
    reused = reuse_answers("b", answers, [crosswalk])
    assert sorted((a.requirement, a.value, a.subject) for a in reused) == [
        ("S1", "compliant", "m1"),
        ("S2", "non_compliant", None),
    ]


def test_not_applicable_development_answers_do_not_count_in_the_average():
    answers = [a for a in everything_compliant() if a.requirement != "EX-ENV-01"]
    answers += [
        Answer("EX-ENV-01", score=3, subject="s1"),
        Answer("EX-ENV-01", "not_applicable", subject="s2"),
    ]
    result = evaluate(CATALOGUE, ENTRY, date(2026, 1, 1), answers, POPULATION, ELIGIBLE)
    assert level(result, "certified").development_average == 3.0


def test_a_group_without_members_cannot_meet_member_requirements():
    result = evaluate(
        CATALOGUE,
        ENTRY,
        date(2026, 1, 1),
        everything_compliant(),
        Population(frozenset(), SITES),
        ELIGIBLE,
    )
    assert not result.requirements["EX-LEG-02"].met


def test_reuse_carries_the_deciding_answer_only():
    crosswalk = Crosswalk("x", {}, ("a", "1"), ("b", "1"), [Mapping("R1", "S1", "broader")], {})
    answers = {
        "a": [
            Answer("R1", "non_compliant", kind="audit", assessed_on=date(2025, 1, 1)),
            Answer("R1", "compliant", kind="self", assessed_on=date(2025, 6, 1)),
        ]
    }
    assert reuse_answers("b", answers, [crosswalk]) == []


def test_levels_fixed_at_a_later_year_do_not_hold_the_current_level_back():
    text = EXAMPLE_STANDARD.read_text().replace(
        "  - id: certified\n",
        "  - id: year-6\n    title: {en: Year 6, es: Año 6, fr: Année 6}\n"
        "    rule:\n      kinds: [core, major, development]\n      up_to_year: 6\n"
        "      development_average_min: 4.5\n"
        "  - id: certified\n",
    )
    catalogue, problems = load_catalogue(text)
    assert problems == []
    result = evaluate(
        catalogue, ENTRY, date(2025, 6, 1), everything_compliant(), POPULATION, ELIGIBLE
    )  # year 5 after entry; development scores of 4 fall short of year 6's 4.5
    assert not level(result, "year-6").met and not level(result, "year-6").due
    assert result.current_level.level.id == "certified-ecological"


def test_a_findings_deadline_sets_when_its_next_step_is_due():
    answers = [Answer("EX-LEG-01", "non_compliant")]
    result = evaluate(
        CATALOGUE,
        ENTRY,
        date(2020, 6, 1),
        answers,
        POPULATION,
        ELIGIBLE,
        deadlines={"EX-LEG-01": date(2020, 9, 1)},
    )
    assert result.next_steps[0].due == date(2020, 9, 1)


def test_two_answers_tied_on_every_precedence_decide_the_cautious_way_in_any_order():
    """Found by hypothesis: the same kind, day and assessment, one compliant, one partly."""
    tied = [
        Answer("EX-LEG-01", "compliant", kind="ics", assessed_on=date(2020, 1, 1)),
        Answer("EX-LEG-01", "partly", kind="ics", assessed_on=date(2020, 1, 1)),
    ]
    for answers in (tied, tied[::-1]):
        assert choose_answers(answers)[("EX-LEG-01", None)].value == "partly"
