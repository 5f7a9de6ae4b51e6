"""The `batea` operator command."""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from batea.registry.models import Member, Organisation, Site

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_demo_loads_a_realistic_fictional_world_and_prints_logins():
    output = run("demo")
    assert "All data is fictional" in output
    for username in (
        "manager",
        "inspector",
        "peer",
        "auditor",
        "certifier",
        "standards",
        "support",
        "buyer",
        "admin",
    ):
        assert f"  {username} " in output
    asmos = Organisation.objects.filter(kind="asmo")
    assert asmos.count() >= 3
    assert len(set(asmos.values_list("country", flat=True))) >= 2
    assert Member.objects.count() >= 300
    women = Member.objects.filter(gender="female").count() / Member.objects.count()
    assert 0.2 < women < 0.5
    assert set(Organisation.objects.values_list("kind", flat=True)) == {
        "asmo",
        "support",
        "buyer",
        "certification_body",
        "standard_owner",
    }


def test_the_demo_loads_twice_without_duplicates_and_stays_plausible():
    """Loading it again changes nothing; its sites lie in their countries and its members
    joined as adults. (One test: loading the demo is the slow part.)"""
    from batea.domain.countries import point_in_country_box

    run("demo")
    counts = (Organisation.objects.count(), Member.objects.count(), Site.objects.count())
    run("demo")
    assert (Organisation.objects.count(), Member.objects.count(), Site.objects.count()) == counts
    for site in Site.objects.select_related("organisation"):
        assert point_in_country_box(site.longitude, site.latitude, site.organisation.country)
    for member in Member.objects.exclude(birth_year=None):
        assert member.join_date.year - member.birth_year >= 17, member.member_number


def test_orgs_list_prints_a_table_and_json(world):
    table = run("orgs", "list")
    assert "alpha-coop" in table and "slug" in table.splitlines()[0]
    rows = json.loads(run("orgs", "list", "--json"))
    assert {"id", "slug", "name", "kind", "country"} == set(rows[0])
    assert {r["slug"] for r in rows} >= {"alpha-coop", "beta-assoc"}
    only_peru = json.loads(run("orgs", "list", "--json", "--country", "pe"))
    assert {r["slug"] for r in only_peru} == {"beta-assoc", "cert-body"}


def test_the_console_script_is_the_django_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "batea.cli", "help", "orgs"],
        capture_output=True,
        text=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Operate on organisations" in result.stdout


def batea_commands() -> list[str]:
    """Every management command that Batea's own apps add."""
    from django.core.management import get_commands

    return sorted(name for name, app in get_commands().items() if app.startswith("batea."))


@pytest.mark.parametrize("name", batea_commands())
def test_every_batea_command_explains_itself(name, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["batea", name, "--help"]).execute()
    assert exited.value.code == 0
    assert f"usage: batea {name}" in capsys.readouterr().out


def test_verify_log_is_spelled_with_a_hyphen_by_operators():
    from batea.cli import ALIASES

    assert ALIASES["verify-log"] in batea_commands()
