"""The scale-up simulator's command line and the registry as its population."""

import csv
import gzip
import io
import json
import time
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from batea.domain.access import OrganisationKind
from batea.insights.registry import asmo_records
from batea.registry.models import Licence, Site
from tests.conftest import POINT_IN_COLOMBIA, make_member, make_org, make_site

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
COLOMBIA = str(SCENARIOS / "colombia-200-asmos.yaml")


def simulate(*args) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("simulate", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return out.getvalue(), err.getvalue(), code


def test_the_table_shows_each_model_year_by_year_and_who_is_left_out():
    out, err, code = simulate(COLOMBIA, "--repetitions", "20")
    assert code == 0 and err == ""
    assert "200 ASMOs in a Colombian gold region (illustrative)" in out
    assert "10 years × 20 repetitions, seed 20260601" in out
    for heading in (
        "== Individual certification",
        "== Group certification with an ICS",
        "== Participatory Guarantee System",
        "== Stepwise ladder",
    ):
        assert heading in out
    assert "Levels: Market entry → Progressive improvement → Certified (premium)" in out
    assert "Break-even:" in out and "by size: 1–10 members" in out
    assert "by licence status: formal" in out and "by gender: women" in out
    assert "Side by side, year 10:" in out
    year_rows = [line for line in out.splitlines() if line.startswith("10 ")]
    assert len(year_rows) == 4


def test_json_has_every_year_and_the_comparison(tmp_path):
    out, _, code = simulate(
        COLOMBIA, str(SCENARIOS / "subsidy-vs-support.yaml"), "--json", "--repetitions", "10"
    )
    assert code == 0
    document = json.loads(out)
    first, second = document["scenarios"]
    assert first["population"]["organisations"] == 200
    assert [m["id"] for m in second["models"]] == [
        "group",
        "group-subsidy",
        "group-support",
        "individual-subsidy",
    ]
    model = first["models"][0]
    assert len(model["years"]) == 10
    year = model["years"][-1]
    assert {"mean", "low", "high"} == set(year["miners_certified"])
    assert year["cost"]["total"] == pytest.approx(
        year["cost"]["asmo"] + year["cost"]["subsidy"] + year["cost"]["support"], abs=0.05
    )
    assert set(model["left_out"]) == {"by_size", "by_women_share", "by_licence", "by_gender"}
    assert len(document["comparison"]) == 8
    again = json.loads(
        simulate(
            COLOMBIA, str(SCENARIOS / "subsidy-vs-support.yaml"), "--json", "--repetitions", "10"
        )[0]
    )
    assert again == document


def test_a_bad_scenario_lists_every_problem_with_file_line_and_path(tmp_path):
    text = Path(COLOMBIA).read_text()
    text = text.replace("day_rate: 700 ", "day_rate: -700 ", 1)
    text = text.replace("share_sold_certified: 0.7 ", "share_sold_certified: 70 ")
    text = text.replace("kind: pgs ", "kind: fairtrade ")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    lines = text.splitlines()
    out, err, code = simulate(str(bad))
    assert code == 1 and out == ""
    messages = err.strip().splitlines()
    assert messages[-1] == "3 problem(s); nothing simulated."
    for path, words in (
        ("market.share_sold_certified", "A share is between 0 and 1 (found 70)"),
        ("models[0].costs.day_rate", "A cost cannot be negative (found -700)"),
        ("models[2].kind", "Unknown model kind 'fairtrade'"),
    ):
        message = next(m for m in messages if f": {path}: " in m)
        assert words in message
        where, line = message.split(":")[0:2]
        assert where == str(bad)
        assert path.split(".")[-1].split("[")[0] in lines[int(line) - 1]


def test_a_missing_file():
    with pytest.raises(CommandError, match="nowhere.yaml"):
        simulate(str(SCENARIOS / "nowhere.yaml"))


@pytest.mark.django_db
def test_from_the_registry():
    alpha = make_org(
        "alpha", declared_metrics={"gold_grams_per_miner_day": 1.5, "organisational_capacity": 0.8}
    )
    for number in range(4):
        make_member(alpha, f"A{number}", "Ana", "X", gender="female" if number else "male")
    make_member(alpha, "A9", "Left", "X", status="left")
    today = date.today()
    for kind in ("mining_title", "environmental"):
        Licence.objects.create(
            organisation=alpha,
            kind=kind,
            number=kind,
            issuer="Agency",
            valid_from=today - timedelta(days=10),
        )
    beta = make_org("beta")  # no members, a site's workforce
    make_site(beta, "B-1", "Pit", POINT_IN_COLOMBIA, workforce=10, women_in_workforce=4)
    make_org("gamma")  # nobody: skipped
    make_org("helper", OrganisationKind.SUPPORT)
    records, skipped = asmo_records()
    assert records == [
        {
            "id": "alpha",
            "members": 4,
            "women_share": 0.75,
            "licence": "formal",
            "capacity": 0.8,
            "production_g_per_miner_day": 1.5,
        },
        {"id": "beta", "members": 10, "women_share": 0.4, "licence": "informal"},
    ]
    assert skipped == ["gamma"]
    assert Site.objects.count() == 1
    out, err, code = simulate(COLOMBIA, "--from-registry", "--json", "--repetitions", "5")
    assert code == 0
    assert "gamma" in err
    population = json.loads(out)["scenarios"][0]["population"]
    assert population == {
        "organisations": 2,
        "miners": 14,
        "women_miners": 7.0,
        "median_members": 7.0,
        "by_licence": {"formal": 1, "partial": 0, "in_process": 0, "informal": 1},
        "source": "records",
    }
    table, _, _ = simulate(COLOMBIA, "--from-registry", "--repetitions", "5")
    assert "Population (from the registry): 2 organisations, 14 miners (50% women)" in table


@pytest.mark.django_db
def test_an_empty_registry_is_a_problem():
    out, err, code = simulate(COLOMBIA, "--from-registry")
    assert code == 1
    assert "records: The population is empty: there is no organisation." in err


# --- the web page -------------------------------------------------------------------------------

TWO = "?scenario=colombia-200-asmos&scenario=subsidy-vs-support&repetitions=20"


@pytest.fixture
def signed_in(client, db):
    from tests.conftest import make_user

    user = make_user("planner")
    client.force_login(user)
    return client


def test_the_page_is_for_signed_in_people(client, db):
    response = client.get(reverse("simulator"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_offers_the_shipped_scenarios(signed_in):
    response = signed_in.get(reverse("simulator"))
    page = response.content.decode()
    assert response.status_code == 200
    for stem in ("colombia-200-asmos", "subsidy-vs-support", "informal-majority"):
        assert f'value="{stem}"' in page
    assert "200 ASMOs in a Colombian gold region (illustrative)" in page
    assert "simulator-charts" not in page and "plotly.js" not in page


def test_running_two_scenarios_side_by_side_with_charts_tables_and_csv(signed_in):
    started = time.perf_counter()
    response = signed_in.get(reverse("simulator") + TWO)
    elapsed = time.perf_counter() - started
    page = response.content.decode()
    assert response.status_code == 200
    assert elapsed < 5
    assert "Side by side, in the last year" in page
    assert page.count('class="simulator-chart"') == 3
    assert 'id="simulator-charts"' in page
    assert "/simulator/plotly.js?v=" in page and "insights/simulator.js" in page
    assert page.count("Download CSV") == 4
    assert "A · Individual certification" in page and "B · Group with ICS, subsidised" in page
    assert '<th scope="col"' in page and "<caption" in page
    charts = json.loads(
        page.split('id="simulator-charts" type="application/json">')[1].split("</script>")[0]
    )
    assert set(charts) == {"coverage", "money", "left-out"}
    assert len([t for t in charts["coverage"]["data"] if t.get("name")]) == 8

    csv_response = signed_in.get(reverse("simulator") + TWO + "&format=csv&table=coverage")
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0][:3] == ["Model", "Year", "Miners certified"]
    assert len(rows) == 1 + 8 * 10
    comparison = signed_in.get(reverse("simulator") + TWO + "&format=csv&table=comparison")
    assert len(list(csv.reader(io.StringIO(comparison.content.decode())))) == 1 + 8


def test_changes_and_bounds(signed_in):
    url = reverse("simulator") + (
        "?scenario=informal-majority&repetitions=500&years=3&seed=3&subsidy_percent=50"
        "&subsidy_budget=1000&premium_usd_per_kg=2000"
    )
    page = signed_in.get(url).content.decode()
    # 300 organisations: 100,000 organisation-runs allow 333 repetitions
    assert "333 repetitions were run" in page
    assert "3 years × 333 repetitions" in page
    too_many = signed_in.get(
        reverse("simulator")
        + "?scenario=colombia-200-asmos&scenario=subsidy-vs-support&scenario=informal-majority"
        "&scenario=colombia-200-asmos"
    ).content.decode()
    assert "Pick at most 3 scenarios." in too_many
    assert "simulator-charts" not in too_many
    unknown = signed_in.get(reverse("simulator") + "?scenario=nothing").content.decode()
    assert "Select a valid choice" in unknown
    bad = signed_in.get(reverse("simulator") + "?scenario=colombia-200-asmos&subsidy_percent=150")
    assert "simulator-charts" not in bad.content.decode()


def test_titles_follow_the_language(signed_in):
    from django.conf import settings

    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = signed_in.get(reverse("simulator")).content.decode()
    assert "200 organizaciones mineras en una región aurífera de Colombia" in page


def test_the_registry_population_is_only_what_the_user_sees(world, client):
    client.force_login(world.manager_a)
    page = client.get(
        reverse("simulator") + "?scenario=colombia-200-asmos&repetitions=10&registry=on"
    ).content.decode()
    assert "Organisations from the registry." in page
    assert "Organisations: 1 · Miners: 1" in page
    for marker in ("beta-assoc", "Beta Miners", "Zzsecretova"):
        assert marker not in page


def test_plotly_is_served_from_the_installed_package_with_caching(client, db):
    import plotly
    from plotly.offline import get_plotlyjs

    url = reverse("simulator-plotly")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response.content == get_plotlyjs().encode()
    assert "max-age=31536000" in response["Cache-Control"]
    assert plotly.__version__ in response["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == response.content
    assert "Accept-Encoding" in zipped["Vary"]


def test_scenarios_too_large_for_the_page_are_sent_to_the_command_line(
    signed_in, settings, tmp_path
):
    text = (SCENARIOS / "colombia-200-asmos.yaml").read_text()
    big = text.replace("organisations: 200 ", "organisations: 50000 ")
    big = big.replace("repetitions: 500 ", "repetitions: 20 ")  # a valid file
    (tmp_path / "big.yaml").write_text(big)
    settings.BATEA_SCENARIOS_DIR = tmp_path
    page = signed_in.get(reverse("simulator") + "?scenario=big").content.decode()
    assert "more than this page runs (20000); run it with `batea simulate`." in page
    assert "simulator-charts" not in page
