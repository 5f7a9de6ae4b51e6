"""The simulator for the web page: shipped scenarios, bounded runs, charts and tables as data."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from batea.domain.simulator import Scenario, ScenarioResult, compare, load_scenario, simulate, text
from batea.domain.simulator.scenario import Subsidy
from batea.insights import report

MAX_SCENARIOS = 3
# A request runs at most this many organisations × repetitions per scenario (well under a
# second each; see bench/simulator.py), and at most these many years.
MAX_WEB_CELLS = 100_000
MAX_WEB_YEARS = 20
MAX_WEB_REPETITIONS = 500
MAX_WEB_ORGANISATIONS = 20_000


def scenarios_dir() -> Path:
    return Path(getattr(settings, "BATEA_SCENARIOS_DIR", settings.PROJECT_DIR / "scenarios"))


@functools.lru_cache(maxsize=32)
def _load(path: str, modified: float) -> Scenario | None:
    scenario, problems = load_scenario(Path(path).read_bytes(), Path(path).name)
    return scenario


def shipped() -> dict[str, Scenario]:
    """The valid scenario files of `scenarios/`, by file stem (invalid ones are left out)."""
    found = {}
    directory = scenarios_dir()
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.yaml")):
        scenario = _load(str(path), path.stat().st_mtime)
        if scenario is not None:
            found[path.stem] = scenario
    return found


@dataclass(frozen=True)
class Changes:
    """What a person changed on the page; None keeps the scenario's own value."""

    repetitions: int | None = None
    years: int | None = None
    seed: int | None = None
    premium_usd_per_kg: float | None = None
    subsidy_share: float | None = None  # 0–1, replaces every model's subsidy
    subsidy_budget: float | None = None


def bounded(scenario: Scenario, changes: Changes, organisations: int) -> tuple[Scenario, list[str]]:
    """The scenario with the changes applied and its size kept within the page's bounds."""
    notes = []
    replace: dict[str, Any] = {}
    years = changes.years or scenario.years
    if years > MAX_WEB_YEARS:
        notes.append(gettext("Years limited to %(limit)s on this page.") % {"limit": MAX_WEB_YEARS})
        years = MAX_WEB_YEARS
    replace["years"] = years
    repetitions = min(changes.repetitions or scenario.repetitions, MAX_WEB_REPETITIONS)
    ceiling = max(10, MAX_WEB_CELLS // max(organisations, 1))
    if repetitions > ceiling:
        notes.append(
            gettext(
                "%(repetitions)s repetitions of %(organisations)s organisations are more than this "
                "page runs; %(limit)s repetitions were run (the command line runs any size)."
            )
            % {"repetitions": repetitions, "organisations": organisations, "limit": ceiling}
        )
        repetitions = ceiling
    replace["repetitions"] = repetitions
    if changes.seed is not None:
        replace["seed"] = changes.seed
    if changes.premium_usd_per_kg is not None:
        replace["market"] = dataclasses.replace(
            scenario.market, premium_usd_per_kg=changes.premium_usd_per_kg
        )
    if changes.subsidy_share is not None:
        subsidy = (
            Subsidy(changes.subsidy_share, changes.subsidy_budget)
            if changes.subsidy_share > 0
            else None
        )
        replace["models"] = tuple(dataclasses.replace(m, subsidy=subsidy) for m in scenario.models)
    return dataclasses.replace(scenario, **replace), notes


def size_of(scenario: Scenario, records: list | None) -> int:
    if records is not None:
        return len(records)
    return len(scenario.population.records or ()) or scenario.population.organisations or 0


# --- charts and tables ---------------------------------------------------------------------------

LETTERS = "ABC"
COLOURS = ["#8a5a2b", "#1f6f8b", "#6a994e", "#bc4749", "#7b2cbf", "#e09f3e", "#335c67", "#9e2a2b"]


def _trace_name(index: int, result: ScenarioResult, model, many: bool) -> str:
    title = text(model.title, report.language())
    return f"{LETTERS[index]} · {title}" if many else title


def tables(results: list[ScenarioResult]) -> dict[str, dict[str, Any]]:
    """Every chart's data as a table: caption, column headers, rows (plain values)."""
    lang = report.language()
    many = len(results) > 1
    coverage, money, left = [], [], []
    for index, result in enumerate(results):
        for model in result.models:
            name = _trace_name(index, result, model, many)
            for year in model.years:
                coverage.append(
                    [
                        name,
                        year.year,
                        round(year.miners_certified.mean, 1),
                        round(year.miners_certified.low, 1),
                        round(year.miners_certified.high, 1),
                        round(year.miners_reached.mean, 1),
                        round(year.organisations_certified.mean, 2),
                    ]
                )
                per_miner = year.cost_per_certified_miner
                money.append(
                    [
                        name,
                        year.year,
                        round(year.cost, 0),
                        round(year.cumulative_cost.mean, 0),
                        round(year.cumulative_premium.mean, 0),
                        None if per_miner is None else round(per_miner, 0),
                    ]
                )
            for group, title in report.left_out_groups():
                for band in getattr(model.left_out, group):
                    if band.not_certified is None:
                        continue
                    left.append(
                        [
                            name,
                            title,
                            report.band_label(group, band),
                            round(band.miners, 0),
                            round(band.not_certified * 100, 1),
                            round(band.not_reached * 100, 1),
                        ]
                    )
    side = []
    for index, result in enumerate(results):
        scenario = text(result.title, lang)
        for row in compare([result]):
            side.append(
                [
                    LETTERS[index] if many else scenario,
                    text(row.model_title, lang),
                    round(row.miners_certified.mean, 0),
                    f"{row.miners_certified.low:,.0f}–{row.miners_certified.high:,.0f}",
                    round(row.share_of_miners_certified * 100, 1),
                    round(row.organisations_certified.mean, 1),
                    round(row.cumulative_cost, 0),
                    round(row.cumulative_premium, 0),
                    _rounded(row.cost_per_certified_miner, 1),
                    row.break_even_year,
                    _rounded(row.women_not_certified, 100),
                    _rounded(row.smallest_not_certified, 100),
                    _rounded(row.informal_not_certified, 100),
                ]
            )
    return {
        "comparison": {
            "caption": gettext("Side by side, in the last year"),
            "columns": [
                gettext("Scenario"),
                gettext("Model"),
                gettext("Miners certified"),
                # xgettext:no-python-format
                gettext("90% interval"),
                gettext("Share of miners (%)"),
                gettext("Organisations certified"),
                gettext("Cumulative cost (USD)"),
                gettext("Cumulative premium (USD)"),
                gettext("USD per certified miner"),
                gettext("Break-even year"),
                gettext("Women miners not certified (%)"),
                gettext("Smallest organisations' miners not certified (%)"),
                gettext("Informal organisations' miners not certified (%)"),
            ],
            "rows": side,
        },
        "coverage": {
            # xgettext:no-python-format
            "caption": gettext("Miners certified, year by year (mean and 90% interval)"),
            "columns": [
                gettext("Model"),
                gettext("Year"),
                gettext("Miners certified"),
                gettext("Low (5%)"),
                gettext("High (95%)"),
                gettext("Miners reached"),
                gettext("Organisations certified"),
            ],
            "rows": coverage,
        },
        "money": {
            "caption": gettext("Cost and premium, year by year (USD, means)"),
            "columns": [
                gettext("Model"),
                gettext("Year"),
                gettext("Cost of the year"),
                gettext("Cumulative cost"),
                gettext("Cumulative premium"),
                gettext("USD per certified miner"),
            ],
            "rows": money,
        },
        "left-out": {
            "caption": gettext("Who is left out in the last year: share of miners not certified"),
            "columns": [
                gettext("Model"),
                gettext("Grouped"),
                gettext("Band"),
                gettext("Miners"),
                gettext("Not certified (%)"),
                gettext("Not reached (%)"),
            ],
            "rows": left,
        },
    }


def _rounded(value: float | None, scale: float) -> float | None:
    return None if value is None else round(value * scale, 1 if scale == 100 else 0)


def charts(results: list[ScenarioResult]) -> dict[str, dict[str, Any]]:
    """Plotly figures (data and layout) of the coverage, money and left-out tables."""
    many = len(results) > 1
    coverage, money, left = [], [], []
    colour = 0
    for index, result in enumerate(results):
        for model in result.models:
            name = _trace_name(index, result, model, many)
            hue = COLOURS[colour % len(COLOURS)]
            colour += 1
            years = [y.year for y in model.years]
            coverage += [
                {
                    "x": years,
                    "y": [round(y.miners_certified.high, 1) for y in model.years],
                    "mode": "lines",
                    "line": {"width": 0, "color": hue},
                    "showlegend": False,
                    "hoverinfo": "skip",
                    "legendgroup": name,
                },
                {
                    "x": years,
                    "y": [round(y.miners_certified.low, 1) for y in model.years],
                    "mode": "lines",
                    "fill": "tonexty",
                    "fillcolor": hue + "33",
                    "line": {"width": 0, "color": hue},
                    "showlegend": False,
                    "hoverinfo": "skip",
                    "legendgroup": name,
                },
                {
                    "x": years,
                    "y": [round(y.miners_certified.mean, 1) for y in model.years],
                    "mode": "lines+markers",
                    "name": name,
                    "line": {"color": hue},
                    "legendgroup": name,
                },
            ]
            money += [
                {
                    "x": years,
                    "y": [round(y.cumulative_cost.mean) for y in model.years],
                    "mode": "lines",
                    "name": f"{name} — {gettext('cost')}",
                    "line": {"color": hue},
                    "legendgroup": name,
                },
                {
                    "x": years,
                    "y": [round(y.cumulative_premium.mean) for y in model.years],
                    "mode": "lines",
                    "name": f"{name} — {gettext('premium')}",
                    "line": {"color": hue, "dash": "dot"},
                    "legendgroup": name,
                },
            ]
            labels, values = [], []
            for group, _title in report.left_out_groups():
                for band in getattr(model.left_out, group):
                    if band.not_certified is not None:
                        labels.append(report.band_label(group, band))
                        values.append(round(band.not_certified * 100, 1))
            left.append(
                {"type": "bar", "x": labels, "y": values, "name": name, "marker": {"color": hue}}
            )

    def layout(y_title: str, **extra) -> dict[str, Any]:
        # No title: the page's heading names the chart. The legend sits above the plot.
        return {
            "xaxis": {"title": {"text": extra.pop("x_title", gettext("Year"))}, "automargin": True},
            "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "automargin": True},
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "margin": {"l": 50, "r": 10, "t": 10, "b": 10},
            "height": 460,
            **extra,
        }

    return {
        "coverage": {
            "data": coverage,
            "layout": layout(gettext("miners")),
        },
        "money": {
            "data": money,
            "layout": layout(gettext("USD")),
        },
        "left-out": {
            "data": left,
            "layout": layout(
                # xgettext:no-python-format
                gettext("% of the band's miners"),
                x_title=gettext("Band"),
                barmode="group",
                # xgettext:no-python-format
                yaxis={"range": [0, 100], "title": {"text": gettext("% of the band's miners")}},
            ),
        },
    }


def run_all(
    chosen: list[tuple[str, Scenario]], changes: Changes, records: list | None
) -> tuple[list[ScenarioResult], list[str]]:
    results, notes = [], []
    for _stem, scenario in chosen:
        size = size_of(scenario, records)
        if size > MAX_WEB_ORGANISATIONS:
            notes.append(
                gettext(
                    "%(title)s has %(organisations)s organisations, more than this page runs "
                    "(%(limit)s); run it with `batea simulate`."
                )
                % {
                    "title": text(scenario.title, report.language()),
                    "organisations": size,
                    "limit": MAX_WEB_ORGANISATIONS,
                }
            )
            continue
        scenario, found = bounded(scenario, changes, size)
        notes += found
        results.append(simulate(scenario, records=records))
    return results, notes
