"""The scenario format: a YAML file (or a mapping) read strictly into a `Scenario`.

Every problem names its place (`models[1].costs.day_rate`), and, for a file, its line. The
reader checks types, ranges and unknown keys itself rather than through a JSON Schema so that
each message can say what a value means ("a cost cannot be negative", "a share is between 0
and 1"). See docs/simulator.md for the meaning of every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batea.domain.formalisation import FormalisationStatus
from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.source import Path, Source, parse_yaml

FORMAT_VERSION = 1
MAX_YEARS = 50
MAX_REPETITIONS = 10_000
MAX_ORGANISATIONS = 100_000
MAX_MEMBERS_PER_ORGANISATION = 1_000_000
# Repetitions × organisations: each state array of a run holds this many cells.
MAX_CELLS = 2_000_000
MAX_LEVELS = 6

LICENCE_STATUSES: tuple[str, ...] = tuple(status.value for status in FormalisationStatus)
MODEL_KINDS = ("individual", "group_ics", "pgs", "stepwise_ladder")
KIND_TITLES = {
    "individual": gettext_noop("Individual certification"),
    "group_ics": gettext_noop("Group certification with an Internal Control System"),
    "pgs": gettext_noop("Participatory Guarantee System"),
    "stepwise_ladder": gettext_noop("Stepwise ladder"),
}
SAMPLE_METHODS = ("square_root", "all", "percentage")
DISTRIBUTIONS = ("fixed", "lognormal", "beta", "uniform", "triangular", "normal")

Text = str | dict[str, str]

MISSING = object()


@dataclass(frozen=True)
class Distribution:
    """How one attribute of generated organisations is spread; drawn by `population`."""

    kind: str
    params: dict[str, float]
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        return cls("fixed", {"value": float(value)})


@dataclass(frozen=True)
class PopulationSpec:
    organisations: int | None
    members: Distribution | None
    capacity: Distribution | None
    women_share: Distribution | None
    licence: dict[str, float] | None
    production: Distribution | None
    records: tuple[dict[str, Any], ...] | None = None


@dataclass(frozen=True)
class Market:
    premium_usd_per_kg: float
    mining_days_per_year: float
    share_sold_certified: float


@dataclass(frozen=True)
class Readiness:
    base: float
    capacity_gain: float
    licence_factor: dict[str, float]


@dataclass(frozen=True)
class Willingness:
    premium_share: float
    own_funds_per_member: float


@dataclass(frozen=True)
class Level:
    id: str
    title: Text
    ease: float
    licence_factor: dict[str, float]
    audit_days_base: float
    audit_days_per_100_members: float
    annual_fee: float
    premium_access_share: float
    travel_per_visit: float = 0.0


@dataclass(frozen=True)
class Subsidy:
    share: float
    budget_per_year: float | None = None
    years: int | None = None


@dataclass(frozen=True)
class Support:
    gain_at_zero_capacity: float
    gain_at_full_capacity: float
    cost_per_asmo_per_year: float = 0.0
    years: int | None = None
    reach: float = 1.0


@dataclass(frozen=True)
class Group:
    max_asmos: int
    max_miners: int
    sample: str = "square_root"
    sample_percentage: float = 0.0
    sample_minimum: int = 0
    office_audit_days: float = 0.0
    audit_days_per_sampled_asmo: float = 0.0
    capacity_boost: float = 0.0


@dataclass(frozen=True)
class Model:
    id: str
    title: Text
    kind: str
    levels: tuple[Level, ...]
    day_rate: float = 0.0
    travel_per_visit: float = 0.0
    surveillance_days_share: float = 1.0
    ics_cost_per_member: float = 0.0
    peer_review_per_asmo: float = 0.0
    subsidy: Subsidy | None = None
    support: Support | None = None
    group: Group | None = None


@dataclass(frozen=True)
class Bands:
    size: tuple[int, ...] = (10, 50, 200, 1000)
    women_share: tuple[float, ...] = (0.1, 0.3, 0.5)


@dataclass(frozen=True)
class Scenario:
    title: Text
    seed: int
    years: int
    repetitions: int
    market: Market
    readiness: Readiness
    willingness: Willingness
    population: PopulationSpec
    models: tuple[Model, ...]
    description: Text = ""
    bands: Bands = field(default_factory=Bands)
    name: str = ""  # the file it came from, if any


class ScenarioError(ValueError):
    """Raised with every problem when input to a run is not usable."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def load_scenario(content: str | bytes, name: str = "") -> tuple[Scenario | None, list[Problem]]:
    """Parse and check a YAML scenario; the Scenario only when there is no problem at all."""
    source = parse_yaml(content, name)
    if source.problems:
        return None, source.problems
    return read_scenario(source.data, name, source)


def read_scenario(
    data: Any, name: str = "", source: Source | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Check a scenario given as plain data (e.g. parsed JSON or a web form)."""
    reader = _Reader(source or Source(name, data))
    scenario = reader.scenario(data)
    if reader.problems:
        return None, reader.problems
    return scenario, []


def text(value: Text, language: str = "en", fallback: str = "en") -> str:
    """A scenario's text in `language`: a plain string, or a mapping of languages."""
    if isinstance(value, str):
        return value
    if not value:
        return ""
    return value.get(language) or value.get(fallback) or next(iter(value.values()))


# --- the reader ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: Path, template: str, params: dict | None = None) -> None:
        self.problems.append(self.source.problem(path, template, params))

    # generic pieces

    def mapping(
        self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict | None:
        if not isinstance(value, dict):
            self.fail(
                path,
                gettext_noop("Expected a mapping of keys and values, found %(value)s."),
                {"value": _shown(value)},
            )
            return None
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            self.fail(
                path,
                gettext_noop("Unknown key %(keys)s; allowed keys are: %(allowed)s."),
                {"keys": ", ".join(unknown), "allowed": ", ".join(allowed)},
            )
        for key in required:
            if key not in value:
                self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
        return value

    def number(
        self,
        data: dict,
        key: str,
        path: Path,
        *,
        default: Any = MISSING,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        above: float | None = None,
        kind: str = "",
    ) -> Any:
        """A number under `key`; `kind` "cost" or "share" gives the message its meaning."""
        where = (*path, key)
        if key not in data or (data[key] is None and default is not MISSING):
            if default is MISSING:
                self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
                return None
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(
                where,
                gettext_noop("Expected a whole number, found %(value)s.")
                if integer
                else gettext_noop("Expected a number, found %(value)s."),
                {"value": _shown(value)},
            )
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(
                where,
                gettext_noop("Expected a finite number, found %(value)s."),
                {"value": _shown(value)},
            )
            return None
        if integer and value != int(value):
            self.fail(
                where, gettext_noop("Expected a whole number, found %(value)s."), {"value": value}
            )
            return None
        if kind == "cost" and value < 0:
            self.fail(
                where,
                gettext_noop("A cost cannot be negative (found %(value)s)."),
                {"value": value},
            )
            return None
        if kind == "share" and not 0 <= value <= 1:
            self.fail(
                where,
                gettext_noop("A share is between 0 and 1 (found %(value)s); write 0.3 for 30%%."),
                {"value": value},
            )
            return None
        if minimum is not None and value < minimum:
            self.fail(
                where,
                gettext_noop("%(value)s is below the smallest allowed value, %(limit)s."),
                {"value": value, "limit": minimum},
            )
            return None
        if above is not None and value <= above:
            self.fail(
                where,
                gettext_noop("%(value)s must be more than %(limit)s."),
                {"value": value, "limit": above},
            )
            return None
        if maximum is not None and value > maximum:
            self.fail(
                where,
                gettext_noop("%(value)s is above the largest allowed value, %(limit)s."),
                {"value": value, "limit": maximum},
            )
            return None
        return int(value) if integer else float(value)

    def share(self, data: dict, key: str, path: Path, default: Any = MISSING) -> Any:
        return self.number(data, key, path, default=default, kind="share")

    def cost(self, data: dict, key: str, path: Path, default: Any = MISSING) -> Any:
        return self.number(data, key, path, default=default, kind="cost")

    def text(self, data: dict, key: str, path: Path, required: bool = True) -> Text:
        where = (*path, key)
        if key not in data:
            if required:
                self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
            return ""
        value = data[key]
        if isinstance(value, str) and value.strip():
            return value.strip()
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(k, str) and len(k) == 2 and k.islower() for k in value)
            and all(isinstance(v, str) and v.strip() for v in value.values())
        ):
            return {k: v.strip() for k, v in value.items()}
        self.fail(
            where,
            gettext_noop(
                "Expected a text, or a mapping of two-letter language codes to texts, "
                "found %(value)s."
            ),
            {"value": _shown(value)},
        )
        return ""

    def identifier(self, data: dict, key: str, path: Path) -> str:
        value = data.get(key)
        if key not in data:
            self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
            return ""
        if (
            not isinstance(value, str)
            or not value
            or len(value) > 40
            or not value[0].isalnum()
            or not all(c.isalnum() or c in "-_" for c in value)
            or not value.isascii()
        ):
            self.fail(
                (*path, key),
                gettext_noop(
                    "%(value)s is not an identifier (letters, digits, - and _, at most 40)."
                ),
                {"value": _shown(value)},
            )
            return ""
        return value

    def licence_shares(
        self, data: dict, key: str, path: Path, *, total: bool, default: Any = MISSING
    ) -> Any:
        """A mapping of every licence status to a share (adding up to 1 when `total`)."""
        if key not in data:
            if default is MISSING:
                self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
                return None
            return default
        where = (*path, key)
        value = self.mapping(data[key], where, LICENCE_STATUSES, LICENCE_STATUSES)
        if value is None:
            return None
        before = len(self.problems)
        shares = {status: self.share(value, status, where) for status in LICENCE_STATUSES}
        if len(self.problems) > before or None in shares.values():
            return None
        if total and abs(sum(shares.values()) - 1) > 1e-6:
            self.fail(
                where,
                gettext_noop("The shares add up to %(total)s; they must add up to 1."),
                {"total": round(sum(shares.values()), 6)},
            )
            return None
        return shares

    # the sections

    def scenario(self, data: Any) -> Scenario | None:
        top = self.mapping(
            data,
            (),
            (
                "batea_scenario",
                "title",
                "description",
                "seed",
                "years",
                "repetitions",
                "market",
                "readiness",
                "willingness",
                "population",
                "report",
                "models",
            ),
            (
                "batea_scenario",
                "title",
                "seed",
                "years",
                "repetitions",
                "market",
                "readiness",
                "willingness",
                "population",
                "models",
            ),
        )
        if top is None:
            return None
        if "batea_scenario" in top and top["batea_scenario"] != FORMAT_VERSION:
            self.fail(
                ("batea_scenario",),
                gettext_noop("Unknown scenario format %(value)s; this version reads %(known)s."),
                {"value": _shown(top["batea_scenario"]), "known": FORMAT_VERSION},
            )
        title = self.text(top, "title", ())
        description = self.text(top, "description", (), required=False)
        seed = self.number(top, "seed", (), integer=True, minimum=0, maximum=2**63 - 1)
        years = self.number(top, "years", (), integer=True, minimum=1, maximum=MAX_YEARS)
        repetitions = self.number(
            top, "repetitions", (), integer=True, minimum=1, maximum=MAX_REPETITIONS
        )
        market = self.market(top.get("market"), ("market",)) if "market" in top else None
        readiness = (
            self.readiness(top.get("readiness"), ("readiness",)) if "readiness" in top else None
        )
        willingness = (
            self.willingness(top.get("willingness"), ("willingness",))
            if "willingness" in top
            else None
        )
        population = (
            self.population(top.get("population"), ("population",)) if "population" in top else None
        )
        bands = self.bands(top["report"], ("report",)) if "report" in top else Bands()
        models = self.models(top["models"], ("models",), readiness) if "models" in top else ()
        size = (population.organisations or len(population.records or ())) if population else 0
        if repetitions is not None and size * repetitions > MAX_CELLS:
            self.fail(
                ("repetitions",),
                gettext_noop(
                    "%(organisations)s organisations × %(repetitions)s repetitions is more than "
                    "%(limit)s; use fewer repetitions."
                ),
                {
                    "organisations": size,
                    "repetitions": repetitions,
                    "limit": MAX_CELLS,
                },
            )
        if self.problems:
            return None
        return Scenario(
            title=title,
            description=description,
            seed=seed,
            years=years,
            repetitions=repetitions,
            market=market,
            readiness=readiness,
            willingness=willingness,
            population=population,
            models=models,
            bands=bands,
            name=self.source.name,
        )

    def market(self, data: Any, path: Path) -> Market | None:
        keys = ("premium_usd_per_kg", "mining_days_per_year", "share_sold_certified")
        data = self.mapping(data, path, keys, keys)
        if data is None:
            return None
        return Market(
            premium_usd_per_kg=self.cost(data, "premium_usd_per_kg", path, 0),
            mining_days_per_year=self.number(
                data, "mining_days_per_year", path, default=0, minimum=0, maximum=366
            ),
            share_sold_certified=self.share(data, "share_sold_certified", path, 0),
        )

    def readiness(self, data: Any, path: Path) -> Readiness | None:
        keys = ("base", "capacity_gain", "licence_factor")
        data = self.mapping(data, path, keys, keys)
        if data is None:
            return None
        base = self.share(data, "base", path, 0)
        gain = self.number(data, "capacity_gain", path, default=0, minimum=-1, maximum=1)
        factors = self.licence_shares(data, "licence_factor", path, total=False, default=None)
        if factors is None:
            return None
        return Readiness(base, gain, factors)

    def willingness(self, data: Any, path: Path) -> Willingness | None:
        keys = ("premium_share", "own_funds_per_member")
        data = self.mapping(data, path, keys, keys)
        if data is None:
            return None
        return Willingness(
            premium_share=self.share(data, "premium_share", path, 0),
            own_funds_per_member=self.cost(data, "own_funds_per_member", path, 0),
        )

    def distribution(
        self, data: dict, key: str, path: Path, low: float, high: float, required: bool
    ) -> Distribution | None:
        """A distribution of values within [low, high]; a plain number is a fixed value."""
        where = (*path, key)
        if key not in data:
            if required:
                self.fail(path, gettext_noop("The key %(key)s is required."), {"key": key})
            return None
        value = data[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = self.number(data, key, path, minimum=low, maximum=high)
            return None if number is None else Distribution.fixed(number)
        spec = self.mapping(
            value,
            where,
            (
                "distribution",
                "value",
                "median",
                "sigma",
                "mean",
                "sd",
                "concentration",
                "mode",
                "min",
                "max",
            ),
            ("distribution",),
        )
        if spec is None or "distribution" not in spec:
            return None
        kind = spec["distribution"]
        if kind not in DISTRIBUTIONS:
            self.fail(
                (*where, "distribution"),
                gettext_noop("Unknown distribution %(value)s; known: %(allowed)s."),
                {"value": _shown(kind), "allowed": ", ".join(DISTRIBUTIONS)},
            )
            return None
        needs = {
            "fixed": ("value",),
            "lognormal": ("median", "sigma"),
            "beta": ("mean", "concentration"),
            "uniform": ("min", "max"),
            "triangular": ("min", "mode", "max"),
            "normal": ("mean", "sd"),
        }[kind]
        optional = () if kind in ("uniform", "triangular", "fixed", "beta") else ("min", "max")
        extra = sorted(set(spec) - {"distribution", *needs, *optional})
        if extra:
            self.fail(
                where,
                gettext_noop(
                    "A %(kind)s distribution does not take %(keys)s; it takes %(allowed)s."
                ),
                {"kind": kind, "keys": ", ".join(extra), "allowed": ", ".join((*needs, *optional))},
            )
            return None
        before = len(self.problems)
        params: dict[str, float] = {}
        for name in needs:
            if name in ("sigma", "sd"):
                params[name] = self.number(spec, name, where, minimum=0, maximum=10)
            elif name == "median":
                params[name] = self.number(spec, name, where, above=0, maximum=high)
            elif name == "concentration":
                params[name] = self.number(spec, name, where, above=0, maximum=10_000)
            elif name == "mean" and kind == "beta":
                params[name] = self.number(spec, name, where, above=0)
                if params[name] is not None and params[name] >= 1:
                    self.fail(
                        (*where, name),
                        gettext_noop("The mean of a beta distribution lies between 0 and 1."),
                    )
            else:
                params[name] = self.number(spec, name, where, minimum=low, maximum=high)
        bounds = {
            name: self.number(spec, name, where, minimum=low, maximum=high)
            for name in optional
            if name in spec
        }
        if len(self.problems) > before:
            return None
        if kind == "beta" and (low, high) != (0.0, 1.0):
            self.fail(
                (*where, "distribution"),
                gettext_noop("A beta distribution only describes shares between 0 and 1."),
            )
            return None
        ordered = [
            params.get("min", bounds.get("min")),
            params.get("mode"),
            params.get("max", bounds.get("max")),
        ]
        ordered = [v for v in ordered if v is not None]
        if ordered != sorted(ordered):
            self.fail(where, gettext_noop("The minimum must not exceed the maximum (or mode)."))
            return None
        return Distribution(kind, params, bounds.get("min"), bounds.get("max"))

    def population(self, data: Any, path: Path) -> PopulationSpec | None:
        keys = (
            "organisations",
            "members",
            "capacity",
            "women_share",
            "licence",
            "production_g_per_miner_day",
            "records",
        )
        data = self.mapping(data, path, keys)
        if data is None:
            return None
        has_records = "records" in data
        generated = not has_records
        if has_records and "organisations" in data:
            self.fail(
                (*path, "organisations"),
                gettext_noop("Give either organisations (to generate them) or records, not both."),
            )
        organisations = None
        if generated:
            organisations = self.number(
                data, "organisations", path, integer=True, minimum=0, maximum=MAX_ORGANISATIONS
            )
            if organisations == 0:
                self.fail(
                    (*path, "organisations"),
                    gettext_noop("The population is empty: give at least one organisation."),
                )
        members = self.distribution(
            data, "members", path, 1, MAX_MEMBERS_PER_ORGANISATION, generated
        )
        capacity = self.distribution(data, "capacity", path, 0.0, 1.0, generated)
        women = self.distribution(data, "women_share", path, 0.0, 1.0, generated)
        production = self.distribution(data, "production_g_per_miner_day", path, 0, 1000, generated)
        licence = self.licence_shares(
            data, "licence", path, total=True, default=MISSING if generated else None
        )
        records = None
        if has_records:
            if not isinstance(data["records"], list):
                self.fail(
                    (*path, "records"),
                    gettext_noop("Expected a list, found %(value)s."),
                    {"value": _shown(data["records"])},
                )
            else:
                spec = PopulationSpec(None, members, capacity, women, licence, production)
                records = tuple(self.records(data["records"], (*path, "records"), spec) or ())
        return PopulationSpec(organisations, members, capacity, women, licence, production, records)

    def records(self, items: list, path: Path, spec: PopulationSpec) -> list[dict] | None:
        """Organisations given one by one; missing attributes are drawn from `spec`."""
        if not items:
            self.fail(path, gettext_noop("The population is empty: there is no organisation."))
            return None
        if len(items) > MAX_ORGANISATIONS:
            self.fail(
                path,
                gettext_noop("This lists more than %(limit)s items."),
                {"limit": MAX_ORGANISATIONS},
            )
            return None
        keys = ("id", "members", "women_share", "licence", "capacity", "production_g_per_miner_day")
        out = []
        for index, item in enumerate(items):
            where = (*path, index)
            record = self.mapping(item, where, keys, ("members",))
            if record is None:
                continue
            clean: dict[str, Any] = {"id": str(record.get("id", index + 1))}
            clean["members"] = self.number(
                record,
                "members",
                where,
                integer=True,
                minimum=1,
                maximum=MAX_MEMBERS_PER_ORGANISATION,
            )
            for name, fallback in (
                ("women_share", spec.women_share),
                ("capacity", spec.capacity),
            ):
                if record.get(name) is not None:
                    clean[name] = self.share(record, name, where)
                elif fallback is None:
                    self.fail(
                        where,
                        gettext_noop(
                            "%(key)s is missing and population.%(key)s gives no distribution to "
                            "draw it from."
                        ),
                        {"key": name},
                    )
            name = "production_g_per_miner_day"
            if record.get(name) is not None:
                clean[name] = self.number(record, name, where, minimum=0, maximum=1000)
            elif spec.production is None:
                self.fail(
                    where,
                    gettext_noop(
                        "%(key)s is missing and population.%(key)s gives no distribution to "
                        "draw it from."
                    ),
                    {"key": name},
                )
            if record.get("licence") is not None:
                if record["licence"] not in LICENCE_STATUSES:
                    self.fail(
                        (*where, "licence"),
                        gettext_noop("%(value)s is not one of: %(allowed)s."),
                        {
                            "value": _shown(record["licence"]),
                            "allowed": ", ".join(LICENCE_STATUSES),
                        },
                    )
                else:
                    clean["licence"] = record["licence"]
            elif spec.licence is None:
                self.fail(
                    where,
                    gettext_noop(
                        "%(key)s is missing and population.%(key)s gives no distribution to "
                        "draw it from."
                    ),
                    {"key": "licence"},
                )
            out.append(clean)
        return out

    def bands(self, data: Any, path: Path) -> Bands:
        data = self.mapping(data, path, ("size_bands", "women_share_bands"))
        if data is None:
            return Bands()
        result = {}
        for key, integer, low, high in (
            ("size_bands", True, 1, MAX_MEMBERS_PER_ORGANISATION),
            ("women_share_bands", False, 0, 1),
        ):
            if key not in data:
                continue
            values = data[key]
            where = (*path, key)
            if not isinstance(values, list) or not values or len(values) > 12:
                self.fail(
                    where,
                    gettext_noop("Expected a list of 1 to 12 increasing upper bounds."),
                )
                continue
            edges = [
                self.number(
                    dict(enumerate(values)), i, where, integer=integer, minimum=low, maximum=high
                )
                for i in range(len(values))
            ]
            if None in edges:
                continue
            if edges != sorted(set(edges)):
                self.fail(
                    where, gettext_noop("Expected a list of 1 to 12 increasing upper bounds.")
                )
                continue
            result[key] = tuple(edges)
        return Bands(
            result.get("size_bands", Bands().size),
            result.get("women_share_bands", Bands().women_share),
        )

    def models(self, data: Any, path: Path, readiness: Readiness | None) -> tuple[Model, ...]:
        if not isinstance(data, list) or not data:
            self.fail(
                path,
                gettext_noop("List at least one certification model to compare."),
            )
            return ()
        if len(data) > 8:
            self.fail(path, gettext_noop("This lists more than %(limit)s items."), {"limit": 8})
            return ()
        models, seen = [], set()
        factors = readiness.licence_factor if readiness else dict.fromkeys(LICENCE_STATUSES, 1.0)
        for index, item in enumerate(data):
            model = self.model(item, (*path, index), factors)
            if model is None:
                continue
            if model.id in seen:
                self.fail(
                    (*path, index, "id"),
                    gettext_noop("The id %(id)s is used more than once."),
                    {"id": model.id},
                )
            seen.add(model.id)
            models.append(model)
        return tuple(models)

    def model(self, data: Any, path: Path, factors: dict[str, float]) -> Model | None:
        common = (
            "id",
            "title",
            "kind",
            "ease",
            "licence_factor",
            "premium_access_share",
            "costs",
            "subsidy",
            "support",
        )
        if not isinstance(data, dict) or "kind" not in data:
            self.mapping(data, path, common, ("id", "kind"))
            return None
        kind = data["kind"]
        if kind not in MODEL_KINDS:
            self.fail(
                (*path, "kind"),
                gettext_noop("Unknown model kind %(value)s; the kinds are: %(allowed)s."),
                {"value": _shown(kind), "allowed": ", ".join(MODEL_KINDS)},
            )
            return None
        allowed = common + {"group_ics": ("group",), "stepwise_ladder": ("levels",)}.get(kind, ())
        required = ("id", "kind") + {"group_ics": ("group",), "stepwise_ladder": ("levels",)}.get(
            kind, ()
        )
        before = len(self.problems)
        data = self.mapping(data, path, allowed, required)
        model_id = self.identifier(data, "id", path)
        title = self.text(data, "title", path, required=False) or model_id
        ease = self.number(data, "ease", path, default=1.0, minimum=0, maximum=100)
        own_factors = self.licence_shares(data, "licence_factor", path, total=False, default=None)
        factors = own_factors or factors
        access = self.share(data, "premium_access_share", path, 1.0)
        cost_keys = [
            "day_rate",
            "travel_per_visit",
            "annual_fee",
            "ics_cost_per_member",
            "peer_review_per_asmo",
            "surveillance_days_share",
        ]
        if kind != "group_ics":
            cost_keys.append("audit_days")
        costs = self.mapping(data.get("costs", {}), (*path, "costs"), tuple(cost_keys)) or {}
        where = (*path, "costs")
        audit = self.audit_days(costs, where) if kind != "group_ics" else (0.0, 0.0)
        fee = self.cost(costs, "annual_fee", where, 0.0)
        model_costs = {
            "day_rate": self.cost(costs, "day_rate", where, 0.0),
            "travel_per_visit": self.cost(costs, "travel_per_visit", where, 0.0),
            "surveillance_days_share": self.share(costs, "surveillance_days_share", where, 1.0),
            "ics_cost_per_member": self.cost(costs, "ics_cost_per_member", where, 0.0),
            "peer_review_per_asmo": self.cost(costs, "peer_review_per_asmo", where, 0.0),
        }
        subsidy = self.subsidy(data["subsidy"], (*path, "subsidy")) if "subsidy" in data else None
        support = self.support(data["support"], (*path, "support")) if "support" in data else None
        group = None
        if kind == "group_ics" and "group" in data:
            group = self.group(data["group"], (*path, "group"))
        if kind == "stepwise_ladder" and "levels" in data:
            levels = self.levels(
                data["levels"],
                (*path, "levels"),
                factors,
                access,
                audit,
                fee,
                ease,
                model_costs["travel_per_visit"],
            )
        else:
            levels = (
                Level(
                    id=kind,
                    title=title,
                    ease=ease,
                    licence_factor=factors,
                    audit_days_base=audit[0],
                    audit_days_per_100_members=audit[1],
                    annual_fee=fee,
                    premium_access_share=access,
                    travel_per_visit=model_costs["travel_per_visit"],
                ),
            )
        if len(self.problems) > before:
            return None
        return Model(
            id=model_id,
            title=title,
            kind=kind,
            levels=levels,
            subsidy=subsidy,
            support=support,
            group=group,
            **model_costs,
        )

    def audit_days(self, costs: dict, path: Path, default=(0.0, 0.0)) -> tuple[float, float]:
        if "audit_days" not in costs:
            return default
        where = (*path, "audit_days")
        days = self.mapping(costs["audit_days"], where, ("base", "per_100_members"))
        if days is None:
            return default
        base = self.number(days, "base", where, default=0.0, minimum=0, maximum=1000)
        per = self.number(days, "per_100_members", where, default=0.0, minimum=0, maximum=1000)
        return (base or 0.0, per or 0.0)

    def subsidy(self, data: Any, path: Path) -> Subsidy | None:
        data = self.mapping(data, path, ("share", "budget_per_year", "years"), ("share",))
        if data is None:
            return None
        return Subsidy(
            share=self.share(data, "share", path, 0.0),
            budget_per_year=self.cost(data, "budget_per_year", path, None),
            years=self.number(
                data, "years", path, default=None, integer=True, minimum=0, maximum=MAX_YEARS
            ),
        )

    def support(self, data: Any, path: Path) -> Support | None:
        keys = (
            "gain_at_zero_capacity",
            "gain_at_full_capacity",
            "cost_per_asmo_per_year",
            "years",
            "reach",
        )
        data = self.mapping(data, path, keys, keys[:2])
        if data is None:
            return None
        return Support(
            gain_at_zero_capacity=self.share(data, "gain_at_zero_capacity", path, 0.0),
            gain_at_full_capacity=self.share(data, "gain_at_full_capacity", path, 0.0),
            cost_per_asmo_per_year=self.cost(data, "cost_per_asmo_per_year", path, 0.0),
            years=self.number(
                data, "years", path, default=None, integer=True, minimum=0, maximum=MAX_YEARS
            ),
            reach=self.share(data, "reach", path, 1.0),
        )

    def group(self, data: Any, path: Path) -> Group | None:
        keys = (
            "max_asmos",
            "max_miners",
            "sample",
            "office_audit_days",
            "audit_days_per_sampled_asmo",
            "capacity_boost",
        )
        data = self.mapping(data, path, keys, ("max_asmos", "max_miners"))
        if data is None:
            return None
        method, percentage, minimum = "square_root", 0.0, 0
        sample = data.get("sample", "square_root")
        if isinstance(sample, dict):
            where = (*path, "sample")
            spec = self.mapping(sample, where, ("percentage", "minimum"), ("percentage",))
            if spec is not None:
                method = "percentage"
                percentage = self.number(spec, "percentage", where, default=0, above=0, maximum=100)
                minimum = self.number(
                    spec,
                    "minimum",
                    where,
                    default=0,
                    integer=True,
                    minimum=0,
                    maximum=MAX_ORGANISATIONS,
                )
        elif sample in ("square_root", "all"):
            method = sample
        else:
            self.fail(
                (*path, "sample"),
                gettext_noop(
                    "%(value)s is not one of: %(allowed)s (or {percentage: P, minimum: M})."
                ),
                {"value": _shown(sample), "allowed": "square_root, all"},
            )
        return Group(
            max_asmos=self.number(
                data, "max_asmos", path, integer=True, minimum=1, maximum=MAX_ORGANISATIONS
            ),
            max_miners=self.number(
                data,
                "max_miners",
                path,
                integer=True,
                minimum=1,
                maximum=100 * MAX_MEMBERS_PER_ORGANISATION,
            ),
            sample=method,
            sample_percentage=percentage or 0.0,
            sample_minimum=minimum or 0,
            office_audit_days=self.number(
                data, "office_audit_days", path, default=0.0, minimum=0, maximum=1000
            ),
            audit_days_per_sampled_asmo=self.number(
                data, "audit_days_per_sampled_asmo", path, default=0.0, minimum=0, maximum=1000
            ),
            capacity_boost=self.share(data, "capacity_boost", path, 0.0),
        )

    def levels(
        self,
        data: Any,
        path: Path,
        factors: dict[str, float],
        access: float,
        audit: tuple[float, float],
        fee: float,
        ease: float,
        travel: float,
    ) -> tuple[Level, ...]:
        if not isinstance(data, list) or not 2 <= len(data) <= MAX_LEVELS:
            self.fail(
                path,
                gettext_noop("A ladder lists from 2 to %(limit)s levels, lowest first."),
                {"limit": MAX_LEVELS},
            )
            return ()
        keys = (
            "id",
            "title",
            "ease",
            "licence_factor",
            "audit_days",
            "travel_per_visit",
            "annual_fee",
            "premium_access_share",
        )
        levels, seen = [], set()
        for index, item in enumerate(data):
            where = (*path, index)
            level = self.mapping(item, where, keys, ("id",))
            if level is None:
                continue
            level_id = self.identifier(level, "id", where)
            if level_id in seen:
                self.fail(
                    (*where, "id"),
                    gettext_noop("The id %(id)s is used more than once."),
                    {"id": level_id},
                )
            seen.add(level_id)
            top = index == len(data) - 1
            days = self.audit_days(level, where, audit)
            levels.append(
                Level(
                    id=level_id,
                    title=self.text(level, "title", where, required=False) or level_id,
                    ease=self.number(level, "ease", where, default=ease, minimum=0, maximum=100),
                    licence_factor=self.licence_shares(
                        level, "licence_factor", where, total=False, default=factors
                    ),
                    audit_days_base=days[0],
                    audit_days_per_100_members=days[1],
                    annual_fee=self.cost(level, "annual_fee", where, fee),
                    premium_access_share=self.share(
                        level, "premium_access_share", where, access if top else 0.0
                    ),
                    travel_per_visit=self.cost(level, "travel_per_visit", where, travel),
                )
            )
        return tuple(levels)


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
