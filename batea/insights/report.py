"""Simulator results for people: labels of bands and statuses, text tables for the CLI."""

from __future__ import annotations

from django.utils.translation import get_language, gettext, pgettext

from batea.domain.simulator import KIND_TITLES, Comparison, ScenarioResult, text
from batea.domain.simulator.results import Band, ModelResult


def language() -> str:
    return (get_language() or "en").split("-")[0]


def licence_label(status: str) -> str:
    return {
        "formal": pgettext("formalisation status", "formal"),
        "partial": pgettext("formalisation status", "partial"),
        "in_process": pgettext("formalisation status", "in process"),
        "informal": pgettext("formalisation status", "informal"),
    }.get(status, status)


def band_label(group: str, band: Band) -> str:
    """ "1–10 members", "more than 50 % women", "formal", "women" …"""
    if group == "by_licence":
        return licence_label(band.key)
    if group == "by_gender":
        return gettext("women") if band.key == "women" else gettext("men")
    if group == "by_size":
        if band.upper is None:
            return gettext("more than %(n)s members") % {"n": f"{band.lower:,.0f}"}
        low = 1 if band.key == "size-1" else int(band.lower) + 1
        return gettext("%(low)s–%(high)s members") % {
            "low": f"{low:,}",
            "high": f"{band.upper:,.0f}",
        }
    if band.upper is None:
        # xgettext:no-python-format
        return gettext("more than %(n)s%% women") % {"n": f"{band.lower * 100:.0f}"}
    if band.key == "women-1":
        # xgettext:no-python-format
        return gettext("up to %(n)s%% women") % {"n": f"{band.upper * 100:.0f}"}
    # xgettext:no-python-format
    return gettext("%(low)s–%(high)s%% women") % {
        "low": f"{band.lower * 100:.0f}",
        "high": f"{band.upper * 100:.0f}",
    }


def left_out_groups() -> list[tuple[str, str]]:
    return [
        ("by_size", gettext("by size")),
        ("by_women_share", gettext("by women's share")),
        ("by_licence", gettext("by licence status")),
        ("by_gender", gettext("by gender")),
    ]


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def model_heading(model: ModelResult) -> str:
    return f"{text(model.title, language())} ({model.id}: {gettext(KIND_TITLES[model.kind])})"


def scenario_lines(result: ScenarioResult, seconds: float | None = None) -> list[str]:
    """A readable report of one scenario: each model year by year, then who is left out."""
    lang = language()
    population = result.population
    lines = [text(result.title, lang)]
    facts = gettext("%(years)s years × %(repetitions)s repetitions, seed %(seed)s") % {
        "years": result.years,
        "repetitions": result.repetitions,
        "seed": result.seed,
    }
    if seconds is not None:
        facts += " · " + gettext("%(seconds)s s") % {"seconds": f"{seconds:.2f}"}
    lines.append(f"{result.name} · {facts}" if result.name else facts)
    source = (
        gettext("from the registry") if population.source == "records" else gettext("generated")
    )
    lines.append(
        gettext(
            "Population (%(source)s): %(organisations)s organisations, %(miners)s miners "
            "(%(women)s women), median %(median)s members"
        )
        % {
            "source": source,
            "organisations": f"{population.organisations:,}",
            "miners": f"{population.miners:,}",
            "women": percent(population.women_miners / max(population.miners, 1)),
            "median": f"{population.median_members:,.0f}",
        }
    )
    lines.append(
        "  " + " · ".join(f"{licence_label(k)} {v:,}" for k, v in population.by_licence.items())
    )
    for model in result.models:
        lines += [""] + model_lines(model)
    return lines


def model_lines(model: ModelResult) -> list[str]:
    lang = language()
    lines = [f"== {model_heading(model)}"]
    if model.groups is not None:
        lines.append(
            gettext(
                "%(groups)s groups; %(organisations)s organisations (%(miners)s miners) can join"
            )
            % {
                "groups": model.groups,
                "organisations": model.eligible_organisations,
                "miners": f"{model.eligible_miners:,}",
            }
        )
    if len(model.levels) > 1:
        lines.append(
            gettext("Levels: %(levels)s")
            % {"levels": " → ".join(text(title, lang) for _, title in model.levels)}
        )
    headers = [
        gettext("year"),
        # xgettext:no-python-format
        gettext("organisations certified (90% interval)"),
        # xgettext:no-python-format
        gettext("miners certified (90% interval)"),
        gettext("miners reached"),
        gettext("held back"),
        gettext("dropped out"),
        gettext("cost USD"),
        gettext("cumulative cost"),
        gettext("cumulative premium"),
        gettext("USD per certified miner"),
    ]
    rows = []
    for year in model.years:
        o, m = year.organisations_certified, year.miners_certified
        rows.append(
            [
                str(year.year),
                f"{count(o.mean)} ({o.low:,.0f}–{o.high:,.0f})",
                f"{count(m.mean)} ({m.low:,.0f}–{m.high:,.0f})",
                count(year.miners_reached.mean),
                count(year.organisations_held_back),
                count(year.organisations_dropped_out),
                money(year.cost),
                money(year.cumulative_cost.mean),
                money(year.cumulative_premium.mean),
                money(year.cost_per_certified_miner),
            ]
        )
    lines += table(headers, rows)
    lines.append(
        gettext(
            "Break-even: year %(year)s (of the means); in %(share)s of repetitions by year "
            "%(last)s."
        )
        % {
            "year": model.break_even_year,
            "share": percent(model.break_even_share),
            "last": model.final.year,
        }
        if model.break_even_year
        else gettext(
            "Break-even: not within %(last)s years (of the means); in %(share)s of repetitions."
        )
        % {"share": percent(model.break_even_share), "last": model.final.year}
    )
    lines.append(
        gettext("Left out in year %(year)s — share of miners not certified (not reached):")
        % {"year": model.final.year}
    )
    for group, title in left_out_groups():
        cells = []
        for band in getattr(model.left_out, group):
            if band.not_certified is None:
                continue
            cell = f"{band_label(group, band)} {percent(band.not_certified)}"
            if band.not_reached != band.not_certified:
                cell += f" ({percent(band.not_reached)})"
            cells.append(cell)
        lines.append(f"  {title}: " + " · ".join(cells))
    return lines


def comparison_lines(rows: list[Comparison]) -> list[str]:
    lang = language()
    headers = [
        gettext("scenario"),
        gettext("model"),
        gettext("miners certified"),
        gettext("share of miners"),
        gettext("organisations"),
        gettext("cumulative cost"),
        gettext("cumulative premium"),
        gettext("USD per certified miner"),
        gettext("break-even year"),
        gettext("women left out"),
        gettext("smallest left out"),
        gettext("informal left out"),
    ]
    body = [
        [
            row.scenario or text(row.scenario_title, lang),
            row.model,
            f"{count(row.miners_certified.mean)} ({row.miners_certified.low:,.0f}–"
            f"{row.miners_certified.high:,.0f})",
            percent(row.share_of_miners_certified),
            count(row.organisations_certified.mean),
            money(row.cumulative_cost),
            money(row.cumulative_premium),
            money(row.cost_per_certified_miner),
            str(row.break_even_year) if row.break_even_year else "–",
            percent(row.women_not_certified),
            percent(row.smallest_not_certified),
            percent(row.informal_not_certified),
        ]
        for row in rows
    ]
    year = rows[0].year if rows else 0
    return [
        gettext("Side by side, year %(year)s:") % {"year": year},
        *table(headers, body, left=2),
    ]


def table(headers: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """The first `left` columns left-aligned, the others right-aligned; headers wrapped to
    the width of the values."""
    widths = [
        max([len(row[i]) for row in rows] + [min(len(headers[i]), 14)]) for i in range(len(headers))
    ]
    lines = []
    wrapped = [_wrap(header, width) for header, width in zip(headers, widths, strict=True)]
    for line in range(max(len(w) for w in wrapped)):
        cells = [w[line] if line < len(w) else "" for w in wrapped]
        lines.append(_row(cells, widths, left))
    lines.append(_row(["-" * w for w in widths], widths, left))
    lines += [_row(row, widths, left) for row in rows]
    return lines


def _row(cells: list[str], widths: list[int], left: int) -> str:
    aligned = [
        cell.ljust(width) if i < left else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  ".join(aligned).rstrip()


def _wrap(words: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in words.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    return [*lines, current]
