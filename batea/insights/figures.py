"""The insight figures for people: titles, definitions, data tables and plotly charts, in the
reader's language, from the counts of `batea.insights.services.collect`.

Each figure is a table (the accessible, downloadable form of the figures) and, when it has
one, a chart drawn from the same numbers. On public pages counts of people are suppressed
(`batea.domain.insights.suppression`): a hidden cell is shown as "hidden".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language, gettext, pgettext

from batea.domain.insights.bands import AGE_BAND_KEYS, BY_KEY
from batea.domain.insights.measures import (
    money_by_year,
    monthly,
    per_hundred,
    timing,
    women_share_comparison,
)
from batea.domain.insights.segments import CURRENT_STATUSES
from batea.domain.insights.suppression import safe_count, safe_share, suppress
from batea.domain.standards.catalogue import text
from batea.insights.services import Data, first_month, months_to_levels

GENDERS = ("female", "male", "other", "undisclosed")
GENDER_COLOURS = {
    "female": "#b5446e",
    "male": "#1f6f8b",
    "other": "#e09f3e",
    "undisclosed": "#8d8d8d",
}
COLOURS = ["#8a5a2b", "#1f6f8b", "#6a994e", "#bc4749", "#7b2cbf", "#e09f3e", "#335c67"]


class Hidden:
    """A suppressed cell: fewer people than the minimum, or hidden so that such a cell
    cannot be worked out from the others."""

    def __str__(self) -> str:
        return gettext("hidden")

    def __repr__(self) -> str:
        return "Hidden()"

    def __eq__(self, other) -> bool:
        return isinstance(other, Hidden)

    def __hash__(self) -> int:
        return 0


HIDDEN = Hidden()


@dataclass
class Figure:
    id: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    chart: dict | None = None
    caveat: str = ""
    empty: str = ""
    links: list = field(default_factory=list)  # a URL (or None) per row, for its first cell
    bar: int | None = None  # the column the PDF report draws as bars

    @property
    def bar_widths(self) -> list[float]:
        """Per row, the `bar` column's value as a percentage of the largest (PDF bars)."""
        if self.bar is None:
            return []
        values = [_plot_value(row[self.bar]) for row in self.rows]
        largest = max((v for v in values if v is not None), default=0) or 0
        return [round(100 * v / largest, 1) if v is not None and largest > 0 else 0 for v in values]

    @property
    def report_rows(self) -> list[tuple[Any, list, float | None]]:
        """(first cell, other cells, bar width or None) per row, for the PDF report."""
        widths = self.bar_widths or [None] * len(self.rows)
        return [(row[0], row[1:], width) for row, width in zip(self.rows, widths, strict=True)]

    @property
    def has_data(self) -> bool:
        return bool(self.rows)

    @property
    def numeric(self) -> list[bool]:
        """Per column, whether every value in it is a number (or hidden): right-aligned."""
        flags = []
        for index in range(len(self.columns)):
            values = [row[index] for row in self.rows if row[index] is not None]
            flags.append(
                index > 0
                and bool(values)
                and all(
                    isinstance(v, int | float | Hidden) and not isinstance(v, bool) for v in values
                )
            )
        return flags

    @property
    def header(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns, self.numeric, strict=True))

    @property
    def table(self) -> list[tuple[str | None, Any, list]]:
        """(link, first cell, other cells) per row, for templates."""
        links = self.links or [None] * len(self.rows)
        return [(link, row[0], row[1:]) for link, row in zip(links, self.rows, strict=True)]

    def csv_rows(self) -> list[list[str]]:
        """The table for a CSV file: numbers as they are, hidden cells as "hidden"."""
        body = []
        for row in self.rows:
            body.append(["" if value is None else str(value) for value in row])
        return [self.columns, *body]


def _hidden(value):
    return HIDDEN if value is None else value


def percent(share: float | None, hidden: bool = False):
    """A share (0–1) as a percentage with one decimal; None → hidden or nothing."""
    if share is None:
        return HIDDEN if hidden else None
    return round(100 * share, 1)


def gender_labels() -> dict[str, str]:
    from batea.registry.models import MemberGender

    return {key: str(label) for key, label in MemberGender.choices}


def role_labels() -> dict[str, str]:
    from batea.registry.models import MemberRole

    return {key: str(label) for key, label in MemberRole.choices}


def status_labels() -> dict[str, str]:
    from batea.registry.models import MemberStatus

    return {key: str(label) for key, label in MemberStatus.choices}


def age_labels() -> dict[str, str]:
    return {key: gettext(BY_KEY[key].label) for key in AGE_BAND_KEYS}


def licence_labels() -> dict[str, str]:
    from batea.insights.report import licence_label

    return {key: licence_label(key) for key in ("formal", "partial", "in_process", "informal")}


def language() -> str:
    return (get_language() or "en").split("-")[0]


def standard_names(ladder) -> dict[int, str]:
    """n → the title of the n-th rung's standard."""
    lang = language()
    return {r.number: text(r.standard_title, lang) for r in (ladder.rungs if ladder else ())}


def short_level_labels(ladder) -> dict[int, str]:
    """0 → not on the ladder; n → "n. " and the n-th rung's level."""
    labels = {0: gettext("not on the ladder")}
    if ladder:
        lang = language()
        for rung in ladder.rungs:
            labels[rung.number] = f"{rung.number}. {text(rung.level_title, lang)}"
    return labels


def _layout(y_title: str, x_title: str = "", **extra) -> dict:
    layout = {
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "automargin": True},
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "margin": {"l": 50, "r": 10, "t": 10, "b": 10},
        "height": 380,
        "separators": _separators(),
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _separators() -> str:
    """Plotly's decimal and thousands separators in the reader's language."""
    from django.utils.formats import get_format

    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR') or ' '}"


def _plot_value(value):
    if value is None or isinstance(value, Hidden):
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _bars(categories, traces, y_title, *, stacked=False, horizontal=False, x_title="", **extra):
    """A bar chart: `traces` are (name, values, colour)."""
    data = []
    for name, values, colour in traces:
        values = [_plot_value(v) for v in values]
        trace = {"type": "bar", "name": name, "marker": {"color": colour}}
        if horizontal:
            trace.update(y=list(categories), x=values, orientation="h")
        else:
            trace.update(x=list(categories), y=values)
        data.append(trace)
    if horizontal:
        layout = _layout(
            x_title,
            y_title,
            xaxis={"title": {"text": y_title}, "rangemode": "tozero", "automargin": True},
            yaxis={"title": {"text": x_title}, "automargin": True, "autorange": "reversed"},
            height=max(
                240,
                80
                + len(categories) * (34 if stacked or len(traces) == 1 else 12 + 16 * len(traces)),
            ),
        )
    else:
        layout = _layout(y_title, x_title)
    if stacked:
        layout["barmode"] = "stack"
    elif len(traces) > 1:
        layout["barmode"] = "group"
    if len(traces) == 1:
        layout["showlegend"] = False
    hidden = [
        category
        for index, category in enumerate(categories)
        if any(isinstance(values[index], Hidden) for _name, values, _colour in traces)
    ]
    if hidden:
        # A hidden cell draws no bar: say so where the bar would be.
        layout["annotations"] = [
            {
                **({"y": category, "x": 0} if horizontal else {"x": category, "y": 0}),
                "text": gettext("hidden"),
                "showarrow": False,
                "xanchor": "left" if horizontal else "center",
                "yanchor": "middle" if horizontal else "bottom",
                "font": {"color": "#5f5548", "size": 11},
            }
            for category in hidden
        ]
    for key, value in extra.items():
        layout[key] = {**layout.get(key, {}), **value} if isinstance(value, dict) else value
    return {"data": data, "layout": layout}


# Members ----------------------------------------------------------------------------------


def _by(data: Data, position: int, keys, statuses=CURRENT_STATUSES) -> dict:
    """(key, gender) → members, over members of `statuses`."""
    counts: dict = {}
    for key_tuple, n in data.members.items():
        gender, _role, status, _age = key_tuple
        if status not in statuses:
            continue
        key = key_tuple[position]
        counts[(key, gender)] = counts.get((key, gender), 0) + n
    return counts


def _members_figure(
    data: Data, figure_id: str, title: str, description: str, keys, labels, position, **kwargs
) -> Figure:
    public = data.scope.public
    statuses = kwargs.pop("statuses", CURRENT_STATUSES)
    counts = _by(data, position, keys, statuses)
    genders = gender_labels()
    totals = {key: sum(counts.get((key, g), 0) for g in GENDERS) for key in keys}
    shown_keys = [key for key in keys if totals[key] or key not in kwargs.get("optional", ())]
    if public:
        table = suppress({key: totals[key] for key in shown_keys}, data.scope.k)
        rows = [
            [labels[key], _hidden(table.cells[key]), percent(table.share(key), True)]
            for key in shown_keys
        ]
        columns = [kwargs.get("header", ""), gettext("members"), gettext("share (%)")]
        chart = _bars(
            [labels[k] for k in shown_keys],
            [(gettext("members"), [_hidden(table.cells[k]) for k in shown_keys], COLOURS[0])],
            gettext("members"),
            horizontal=kwargs.get("horizontal", False),
        )
    else:
        total = sum(totals.values())
        rows = [
            [
                labels[key],
                *[counts.get((key, g), 0) for g in GENDERS],
                totals[key],
                percent(totals[key] / total if total else None),
            ]
            for key in shown_keys
        ]
        columns = [
            kwargs.get("header", ""),
            *[genders[g] for g in GENDERS],
            gettext("all"),
            gettext("share (%)"),
        ]
        chart = _bars(
            [labels[k] for k in shown_keys],
            [
                (genders[g], [counts.get((k, g), 0) for k in shown_keys], GENDER_COLOURS[g])
                for g in GENDERS
                if any(counts.get((k, g), 0) for k in shown_keys)
            ],
            gettext("members"),
            stacked=True,
            horizontal=kwargs.get("horizontal", False),
        )
    if not any(totals.values()):
        rows, chart = [], None
    return Figure(
        figure_id,
        title,
        description,
        columns,
        rows,
        chart,
        caveat=kwargs.get("caveat", ""),
        empty=gettext("No members registered."),
        bar=len(columns) - 1,
    )


def members_by_gender(data: Data) -> Figure:
    genders = gender_labels()
    counts = _by(data, 0, GENDERS)
    totals = {g: counts.get((g, g), 0) for g in GENDERS}
    table = suppress(totals, data.scope.k)
    rows = [
        [genders[g], _hidden(table.cells[g]), percent(table.share(g), data.scope.public)]
        for g in GENDERS
    ]
    present = [g for g in GENDERS if table.cells[g] != 0]
    chart = {
        "data": [
            {
                "type": "pie",
                "hole": 0.45,
                "labels": [genders[g] for g in present],
                "values": [_plot_value(table.cells[g]) for g in present],
                "marker": {"colors": [GENDER_COLOURS[g] for g in present]},
                "sort": False,
                "textinfo": "percent",
            }
        ],
        "layout": _layout("", legend={"orientation": "h", "y": -0.1, "yanchor": "top"}, height=320),
    }
    if not sum(totals.values()):
        rows, chart = [], None
    return Figure(
        "members-gender",
        gettext("Members by gender"),
        gettext(
            "Current members (applicants, approved, conditional and suspended members; not "
            "those excluded or gone) by the gender recorded in the register."
        ),
        [gettext("gender"), gettext("members"), gettext("share (%)")],
        rows,
        chart,
        empty=gettext("No members registered."),
        bar=2,
    )


def members_by_age(data: Data) -> Figure:
    return _members_figure(
        data,
        "members-age",
        gettext("Members by age band"),
        gettext(
            "Current members by age band, from their birth year (the age reached this year). "
            "Members under 18 call for a look at child labour rules."
        ),
        AGE_BAND_KEYS,
        age_labels(),
        3,
        header=gettext("age band"),
        optional=("unknown", "under-18", "65-plus"),
        caveat=gettext("Only the birth year is kept, so an age may be one year high."),
    )


def members_by_role(data: Data) -> Figure:
    labels = role_labels()
    return _members_figure(
        data,
        "members-role",
        gettext("Members by role"),
        gettext("Current members by their role in the organisation, women and men."),
        list(labels),
        labels,
        1,
        header=gettext("role"),
        horizontal=True,
        optional=tuple(labels),
    )


def members_by_status(data: Data) -> Figure:
    labels = status_labels()
    return _members_figure(
        data,
        "members-status",
        gettext("Members by status"),
        gettext(
            "Every member on the register by status: applicants, approved, conditional, "
            "suspended, excluded and those who left."
        ),
        list(labels),
        labels,
        2,
        statuses=tuple(labels),
        header=gettext("status"),
        horizontal=True,
    )


# The pathway ------------------------------------------------------------------------------


def levels(data: Data) -> Figure:
    short = short_level_labels(data.ladder)
    standards = standard_names(data.ladder)
    rungs = len(data.ladder.rungs) if data.ladder else 0
    k = data.scope.k
    orgs = {n: 0 for n in range(rungs + 1)}
    members = {n: 0 for n in range(rungs + 1)}
    miners = {n: 0 for n in range(rungs + 1)}
    for org, pos in data.positions.items():
        row = data.per_organisation.get(org, {})
        orgs[pos.climbed] += 1
        members[pos.climbed] += row.get("members", 0)
        miners[pos.climbed] += row.get("miners", 0)
    total_orgs = sum(orgs.values())
    member_table = suppress({str(n): members[n] for n in orgs}, k)
    miner_table = suppress({str(n): miners[n] for n in orgs}, k)
    public = data.scope.public
    rows = []
    for n in orgs:
        rows.append(
            [
                short[n],
                standards.get(n, ""),
                orgs[n],
                percent(orgs[n] / total_orgs if total_orgs else None),
                _hidden(member_table.cells[str(n)]),
                percent(member_table.share(str(n)), public),
                _hidden(miner_table.cells[str(n)]),
                percent(miner_table.share(str(n)), public),
            ]
        )
    chart = _bars(
        [short[n] for n in orgs],
        [
            (gettext("organisations"), [row[3] for row in rows], COLOURS[0]),
            (gettext("members"), [row[5] for row in rows], COLOURS[1]),
            (gettext("miners"), [row[7] for row in rows], COLOURS[2]),
        ],
        gettext("% of the total"),
        x_title=gettext("rungs climbed"),
        horizontal=True,
    )
    if not total_orgs:
        rows, chart = [], None
    return Figure(
        "levels",
        gettext("Organisations, members and miners at each level"),
        gettext(
            "The level of an organisation is how many rungs of the default ladder it has "
            "climbed (each rung a level of a standard, met together with every rung below "
            "it), as the pathway engine evaluates its assessments today. Its members and "
            "miners are counted at its level. Members: current members; miners: the "
            "workforce recorded at its sites (its members when no workforce is recorded)."
        ),
        [
            gettext("level"),
            gettext("standard"),
            gettext("organisations"),
            gettext("share of organisations (%)"),
            gettext("members"),
            gettext("share of members (%)"),
            gettext("miners"),
            gettext("share of miners (%)"),
        ],
        rows,
        chart,
        caveat=gettext(
            "Each standard is evaluated on the version the organisation was assessed "
            "against; answers are not carried across standards through crosswalks here, so "
            "an organisation may stand one rung higher on its pathway page."
        ),
        empty=gettext("No organisation, or no ladder of standards, to show."),
        bar=5,
    )


def time_to_level(data: Data) -> Figure:
    short = short_level_labels(data.ladder)
    standards = standard_names(data.ladder)
    months = months_to_levels(data)
    rows = []
    medians, low, high, names = [], [], [], []
    for number in range(1, (len(data.ladder.rungs) if data.ladder else 0) + 1):
        summary = timing(months.get(number, []), data.scope.min_organisations)
        if not summary.reached:
            continue
        hidden = summary.median is None
        rows.append(
            [
                short[number],
                standards.get(number, ""),
                summary.reached,
                HIDDEN if hidden else summary.median,
                HIDDEN if hidden else summary.quartile_low,
                HIDDEN if hidden else summary.quartile_high,
                HIDDEN if hidden else summary.fastest,
                HIDDEN if hidden else summary.slowest,
            ]
        )
        names.append(short[number])
        medians.append(summary.median)
        low.append(None if hidden else round(summary.median - summary.fastest, 1))
        high.append(None if hidden else round(summary.slowest - summary.median, 1))
    chart = None
    if any(median is not None for median in medians):
        chart = _bars(
            names,
            [(gettext("median months"), medians, COLOURS[0])],
            gettext("months from entry"),
            x_title=gettext("level"),
            horizontal=True,
        )
        chart["data"][0]["error_x"] = {
            "type": "data",
            "symmetric": False,
            "array": high,
            "arrayminus": low,
            "color": "#5b3a1a",
        }
    return Figure(
        "time-to-level",
        gettext("Time from entry to each level"),
        gettext(
            "Months from the organisation's entry into its pathway (its entry date, else "
            "when it was registered) to the date it reached each level, for the "
            "organisations that have reached it: median, quartiles, fastest and slowest "
            "(the bar is the median, the whisker the fastest and slowest)."
        ),
        [
            gettext("level"),
            gettext("standard"),
            gettext("organisations that reached it"),
            gettext("median (months)"),
            gettext("lower quartile"),
            gettext("upper quartile"),
            gettext("fastest"),
            gettext("slowest"),
        ],
        rows,
        chart,
        caveat=gettext(
            "Batea keeps no history of levels: the date a level was reached is taken as the "
            "newest assessment among the answers it rests on today. The level was met at "
            "least since then; it may have been met earlier on answers since replaced, so "
            "these times are upper bounds."
        ),
        empty=gettext("No organisation has reached a level yet."),
        bar=3,
    )


# Women, sanctions -------------------------------------------------------------------------


def women_share_comparison_rows(data: Data):
    """Women among members, the premium committee and project beneficiaries (domain rows)."""
    members = sum(row.get("members", 0) for row in data.per_organisation.values())
    women_members = sum(row.get("women", 0) for row in data.per_organisation.values())
    return women_share_comparison(
        {
            "members": (women_members, members),
            "committee": data.committee,
            "beneficiaries": data.beneficiaries,
        },
        data.scope.k,
    )


def women(data: Data) -> Figure:
    rows_data = women_share_comparison_rows(data)
    public = data.scope.public
    k = data.scope.k
    rows = [
        [
            gettext(row.label),
            _hidden(safe_count(row.women, k)) if public else row.women,
            _hidden(safe_count(row.total, k)) if public else row.total,
            percent(row.share, public and row.total > 0),
            None if row.gap is None else round(100 * row.gap, 1),
        ]
        for row in rows_data
    ]
    chart = _bars(
        [row[0] for row in rows],
        [(gettext("women (%)"), [row[3] for row in rows], GENDER_COLOURS["female"])],
        gettext("women (%)"),
        horizontal=True,
        xaxis={"range": [0, 100]},
    )
    if not any(row.total for row in rows_data):
        rows, chart = [], None
    return Figure(
        "women",
        gettext("Women among members, the premium committee and project beneficiaries"),
        gettext(
            "Women's share among current members, among the people serving today on the "
            "premium committee (those whose gender is recorded), and among the beneficiaries "
            "of projects in approved premium investment plans. The gap is each share minus "
            "the share among members, in percentage points: below zero, women are fewer "
            "there than among members."
        ),
        [
            gettext("group"),
            gettext("women"),
            gettext("people"),
            gettext("women (%)"),
            gettext("gap (points)"),
        ],
        rows,
        chart,
        caveat=gettext(
            "Beneficiaries are counted as the projects declare them; a person may benefit "
            "from several projects."
        ),
        empty=gettext("No members, committee or projects yet."),
        bar=3,
    )


def _sanctions(data: Data, figure_id: str, title: str, position: int, labels: dict) -> Figure:
    groups: dict = {}
    for key_tuple, row in data.decisions.items():
        key = key_tuple[position]
        total = groups.setdefault(key, {"members": 0, "sanctioned": 0, "excluded": 0})
        for name in total:
            total[name] += row[name]
    keys = [key for key in labels if key in groups and groups[key]["members"]]
    public = data.scope.public
    k = data.scope.k
    sanctioned = suppress({key: groups[key]["sanctioned"] for key in keys}, k)
    excluded = suppress({key: groups[key]["excluded"] for key in keys}, k)
    members = suppress({key: groups[key]["members"] for key in keys}, k)
    rows = []
    for key in keys:
        s, e, m = sanctioned.cells[key], excluded.cells[key], members.cells[key]
        rows.append(
            [
                labels[key],
                _hidden(m),
                _hidden(s),
                _hidden(per_hundred(s, m) if s is not None and m else None)
                if public
                else per_hundred(groups[key]["sanctioned"], groups[key]["members"]),
                _hidden(e),
                _hidden(per_hundred(e, m) if e is not None and m else None)
                if public
                else per_hundred(groups[key]["excluded"], groups[key]["members"]),
            ]
        )
    chart = _bars(
        [row[0] for row in rows],
        [
            (gettext("sanctioned per 100 members"), [row[3] for row in rows], COLOURS[3]),
            (gettext("excluded per 100 members"), [row[5] for row in rows], COLOURS[4]),
        ],
        gettext("per 100 members"),
        horizontal=True,
    )
    if not rows or not any(groups[key]["sanctioned"] or groups[key]["excluded"] for key in keys):
        chart = None
    if not any(groups[key]["sanctioned"] or groups[key]["excluded"] for key in keys):
        rows = []
    return Figure(
        figure_id,
        title,
        gettext(
            "Members sanctioned by the approval committee (a sanction from the standard's "
            "catalogue, or a move to conditional, suspended or excluded) and members "
            "excluded, from the recorded decisions, per 100 members on the register (every "
            "status) of the same group."
        ),
        [
            labels.get("_header", ""),
            gettext("members on the register"),
            gettext("members sanctioned"),
            gettext("per 100 members"),
            gettext("members excluded"),
            gettext("per 100 members"),
        ],
        rows,
        chart,
        caveat=gettext(
            "Only decisions recorded in Batea count; a status set directly in the register "
            "without a decision does not."
        ),
        empty=gettext("No sanction or exclusion has been recorded."),
        bar=3,
    )


def sanctions_by_gender(data: Data) -> Figure:
    labels = {**gender_labels(), "_header": gettext("gender")}
    return _sanctions(
        data, "sanctions-gender", gettext("Sanctions and exclusions by gender"), 0, labels
    )


def sanctions_by_role(data: Data) -> Figure:
    labels = {**role_labels(), "_header": gettext("role")}
    return _sanctions(
        data, "sanctions-role", gettext("Sanctions and exclusions by role"), 1, labels
    )


# Actions, money, production ---------------------------------------------------------------


def actions(data: Data) -> Figure:
    from batea.assessments.models import SEVERITY_CHOICES

    labels = {key: str(label) for key, label in SEVERITY_CHOICES}
    order = ["critical", "major", "minor"]
    rows = []
    for key in order:
        row = data.actions.get(key, {})
        if not row:
            continue
        rows.append(
            [
                labels[key],
                row.get("findings", 0),
                row.get("late_findings", 0),
                row.get("actions", 0),
                row.get("late_actions", 0),
            ]
        )
    chart = _bars(
        [row[0] for row in rows],
        [
            (gettext("open findings"), [row[1] for row in rows], COLOURS[0]),
            (gettext("overdue findings"), [row[2] for row in rows], COLOURS[3]),
            (gettext("open corrective actions"), [row[3] for row in rows], COLOURS[1]),
            (gettext("overdue corrective actions"), [row[4] for row in rows], COLOURS[4]),
        ],
        gettext("number"),
    )
    return Figure(
        "actions",
        gettext("Open and overdue findings and corrective actions"),
        gettext(
            "Open non-conformities by severity, those past their deadline, and their "
            "corrective actions not yet verified; an action is overdue when it is past its "
            "due date and not yet done."
        ),
        [
            gettext("severity"),
            gettext("open findings"),
            gettext("overdue findings"),
            gettext("open corrective actions"),
            gettext("overdue corrective actions"),
        ],
        rows,
        chart if rows else None,
        empty=gettext("No open finding."),
        bar=1,
    )


def _money_value(value: Decimal | None):
    return None if value is None else round(float(value), 2)


def money(data: Data) -> Figure:
    members = sum(row.get("members", 0) for row in data.per_organisation.values())
    rows_data = money_by_year(data.audits, data.ics, data.premiums, members)
    public = data.scope.public
    rows = []
    for row in rows_data:
        few = public and data.money_contributors.get((row.year, row.currency), 0) < (
            data.scope.min_organisations
        )
        values = [
            row.audit,
            row.ics,
            row.cost,
            row.premium,
            row.cost_per_member,
            row.premium_per_member,
        ]
        rows.append(
            [
                str(row.year),
                row.currency,
                *[HIDDEN if few else _money_value(v) for v in values],
            ]
        )
    main = [row for row in rows if row[1] == data.currency]
    chart = _bars(
        [row[0] for row in main],
        [
            (gettext("certification cost per member"), [row[6] for row in main], COLOURS[3]),
            (gettext("premium per member"), [row[7] for row in main], COLOURS[2]),
        ],
        data.currency,
        x_title=gettext("year"),
        xaxis={"type": "category"},
    )
    return Figure(
        "money",
        gettext("Cost of certification and premium per member"),
        gettext(
            "Each year: the cost of external audits (the cost recorded on audits) and of "
            "the Internal Control System (ICS costs), against the premiums received into "
            "the premium funds, each divided by today's current members."
        ),
        [
            gettext("year"),
            gettext("currency"),
            gettext("audits"),
            gettext("ICS"),
            gettext("certification cost"),
            gettext("premium received"),
            gettext("cost per member"),
            gettext("premium per member"),
        ],
        rows,
        chart if main else None,
        caveat=gettext(
            "Per member uses today's number of members for every year. Amounts in different "
            "currencies are not converted; the chart shows %(currency)s."
        )
        % {"currency": data.currency},
        empty=gettext("No audit cost, ICS cost or premium recorded."),
    )


def production(data: Data) -> Figure:
    months = monthly(
        {
            "production": data.production,
            "owed": data.premium_owed,
            "received": data.premium_received,
        },
        first_month(data.scope.today),
        data.scope.today,
    )
    public = data.scope.public
    least = data.scope.min_organisations
    rows = []
    for month, values in months:
        few_producers = public and data.producers.get(month, 0) < least
        few_recipients = public and data.recipients.get(month, 0) < least
        grams = values["production"]
        rows.append(
            [
                month,
                HIDDEN if few_producers and grams else round(float(grams), 1),
                HIDDEN if few_recipients and values["owed"] else _money_value(values["owed"]),
                HIDDEN
                if few_recipients and values["received"]
                else _money_value(values["received"]),
            ]
        )
    while rows and not any(_plot_value(v) or isinstance(v, Hidden) for v in rows[0][1:]):
        rows.pop(0)  # months before the first record
    chart = None
    if rows:
        x = [row[0] for row in rows]
        chart = {
            "data": [
                {
                    "type": "bar",
                    "x": x,
                    "y": [_plot_value(row[1]) for row in rows],
                    "name": gettext("fine gold produced (g)"),
                    "marker": {"color": "#d4a017"},
                },
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": [_plot_value(row[2]) for row in rows],
                    "name": gettext("premium owed (%(currency)s)") % {"currency": data.currency},
                    "yaxis": "y2",
                    "line": {"color": COLOURS[1]},
                },
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": [_plot_value(row[3]) for row in rows],
                    "name": gettext("premium received (%(currency)s)")
                    % {"currency": data.currency},
                    "yaxis": "y2",
                    "line": {"color": COLOURS[2], "dash": "dot"},
                },
            ],
            "layout": _layout(
                gettext("fine gold (g)"),
                gettext("month"),
                yaxis2={
                    "title": {"text": data.currency},
                    "overlaying": "y",
                    "side": "right",
                    "rangemode": "tozero",
                    "automargin": True,
                    "tickmode": "auto",
                    "showgrid": False,
                },
                xaxis={"type": "category"},
            ),
        }
    return Figure(
        "production",
        gettext("Production and premium by month"),
        gettext(
            "Fine gold in the lots the organisations produced (production events), the "
            "premium owed on sales of their gold and the premium received into their funds, "
            "month by month over the last two years."
        ),
        [
            gettext("month"),
            gettext("fine gold produced (g)"),
            gettext("premium owed (%(currency)s)") % {"currency": data.currency},
            gettext("premium received (%(currency)s)") % {"currency": data.currency},
        ],
        rows,
        chart,
        caveat=gettext(
            "Production is what was recorded in Batea's chain of custody, not all that was mined."
        ),
        empty=gettext("No production or premium recorded in the last two years."),
        bar=1,
    )


def organisations(data: Data) -> Figure:
    """One row per organisation (portfolio and country pages; never public)."""
    from django.urls import reverse

    short = short_level_labels(data.ladder)
    rows, links = [], []
    for organisation in data.scope.organisations:
        per = data.per_organisation.get(organisation.pk, {})
        pos = data.positions.get(organisation.pk)
        open_ = data.open_actions.get(organisation.pk, {})
        members = per.get("members", 0)
        rows.append(
            [
                organisation.name,
                organisation.country,
                members,
                percent(per.get("women", 0) / members if members else None),
                per.get("miners", 0),
                short.get(pos.climbed, "") if pos else None,
                open_.get("findings", 0),
                open_.get("late_findings", 0),
                open_.get("late_actions", 0),
            ]
        )
        links.append(reverse("insights-organisation", args=[organisation.slug]))
    return Figure(
        "organisations",
        gettext("Organisations side by side"),
        gettext("Each organisation's members, women's share, miners, level and open findings."),
        [
            gettext("organisation"),
            gettext("country"),
            gettext("members"),
            gettext("women (%)"),
            gettext("miners"),
            gettext("level"),
            gettext("open findings"),
            gettext("overdue findings"),
            gettext("overdue corrective actions"),
        ],
        rows,
        None,
        empty=gettext("No organisation to show."),
        links=links,
    )


def all_figures(data: Data) -> list[Figure]:
    figures = [
        members_by_gender(data),
        members_by_age(data),
        members_by_role(data),
        members_by_status(data),
        levels(data),
        time_to_level(data),
        women(data),
        sanctions_by_gender(data),
        sanctions_by_role(data),
        actions(data),
        money(data),
        production(data),
    ]
    if data.scope.kind in ("portfolio", "country"):
        figures.insert(0, organisations(data))
    for figure in figures:
        if figure.chart and not _plots_something(figure.chart):
            figure.chart = None  # every value hidden: the table says so
    return figures


def _plots_something(chart: dict) -> bool:
    for trace in chart["data"]:
        key = (
            "values"
            if trace.get("type") == "pie"
            else ("x" if trace.get("orientation") == "h" else "y")
        )
        if any(value is not None for value in trace.get(key, [])):
            return True
    return False


def summary(data: Data) -> list[tuple[str, Any]]:
    """The tiles at the top of a page: (label, value)."""
    members = sum(row.get("members", 0) for row in data.per_organisation.values())
    women_members = sum(row.get("women", 0) for row in data.per_organisation.values())
    public = data.scope.public
    k = data.scope.k
    climbed = [pos.climbed for pos in data.positions.values()]
    if data.scope.kind == "organisation":
        organisation = data.scope.organisation
        pos = data.positions.get(organisation.pk)
        per = data.per_organisation.get(organisation.pk, {})
        return [
            (gettext("current members"), members),
            (gettext("women among members (%)"), percent(safe_share(women_members, members, 1))),
            (gettext("miners"), per.get("miners", 0)),
            (
                gettext("level on the ladder"),
                short_level_labels(data.ladder).get(pos.climbed) if pos else None,
            ),
        ]
    tiles = [
        (gettext("organisations"), len(data.scope.organisations)),
        (gettext("current members"), _hidden(safe_count(members, k)) if public else members),
        (
            gettext("women among members (%)"),
            percent(safe_share(women_members, members, k), public and members > 0),
        ),
        (
            gettext("organisations on the ladder"),
            sum(1 for c in climbed if c > 0),
        ),
    ]
    if public:
        countries = {o.country for o in data.scope.organisations}
        tiles.append((pgettext("insights", "countries"), len(countries)))
    return tiles
