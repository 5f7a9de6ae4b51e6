"""`batea sample`: risk-based external-audit samples from the registry."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def sample(*args) -> str:
    out = StringIO()
    call_command("sample", *args, stdout=out)
    return out.getvalue()


def test_the_sample_shows_population_policy_arithmetic_and_why_each_was_drawn(world):
    for i in range(30):
        make_member(
            world.org_a,
            f"A-{i + 100}",
            "M",
            f"N{i}",
            gender="male",
            role="worker",
            primary_site=world.site_a,
        )
    text = sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "5")
    assert "31 members" in text  # the approved member Alicia and thirty more
    assert "policy: square_root; seed 5" in text
    assert "√31 = 5.57 → 6" in text
    assert "Drawn at random" in text


def test_the_same_seed_draws_the_same_members_and_open_majors_are_always_in(world):
    for i in range(50):
        make_member(world.org_a, f"A-{i + 100}", "M", f"N{i}", gender="male", role="worker")
    first = json.loads(
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "11", "--json")
    )
    again = json.loads(
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "11", "--json")
    )
    assert first["drawn"] == again["drawn"]
    assert first["size"] == len(first["drawn"])


def test_bad_input_is_refused_with_a_clear_message(world):
    with pytest.raises(CommandError, match="whole number"):
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "abc")
    with pytest.raises(CommandError, match="no members"):
        sample(world.buyer.slug, "--standard", "example-mini-standard", "--seed", "1")
    with pytest.raises(CommandError, match="No organisation"):
        sample("nowhere", "--standard", "example-mini-standard")
