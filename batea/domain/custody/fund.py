"""An organisation's premium fund as an append-only ledger.

Premiums come in as receipts; the premium committee proposes an investment plan of projects
with budgets and approves it with a quorum of members present; money goes out only as
disbursements to a project of an approved plan, never beyond the fund's balance nor beyond
the project's remaining budget. A `Fund` is immutable: each operation returns a new fund
with one more entry, or raises FundError and leaves the fund as it was.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from batea.domain.custody import CustodyError
from batea.domain.messages import Problem, gettext_noop

DEFAULT_QUORUM = 3  # committee members present to approve a plan; a configurable default
ZERO = Decimal(0)


class FundError(CustodyError, ValueError):
    """An operation the fund's rules forbid; `problems` says why. Nothing was recorded."""


@dataclass(frozen=True)
class Receipt:
    """Premium received for a sale."""

    amount: Decimal
    sale_ref: str
    on: date


@dataclass(frozen=True)
class Project:
    """A project of an investment plan and the budget the committee gives it."""

    id: str
    title: str
    budget: Decimal


@dataclass(frozen=True)
class PlanProposed:
    """An investment plan written by the premium committee, not yet approved."""

    plan_id: str
    projects: tuple[Project, ...]
    on: date


@dataclass(frozen=True)
class PlanApproved:
    """The committee's approval of a plan, with the members present."""

    plan_id: str
    members_present: tuple[str, ...]
    on: date


@dataclass(frozen=True)
class Disbursement:
    """Money paid out of the fund to a project of an approved plan."""

    project_id: str
    amount: Decimal
    on: date
    note: str = ""


Entry = Receipt | PlanProposed | PlanApproved | Disbursement


@dataclass(frozen=True)
class Fund:
    """One organisation's premium fund: its ledger entries in the order recorded."""

    organisation: str
    currency: str = "USD"
    entries: tuple[Entry, ...] = ()

    @property
    def received(self) -> Decimal:
        return sum((e.amount for e in self.entries if isinstance(e, Receipt)), ZERO)

    @property
    def disbursed(self) -> Decimal:
        return sum((e.amount for e in self.entries if isinstance(e, Disbursement)), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.received - self.disbursed


@dataclass(frozen=True)
class ProjectLine:
    """A project in the fund report."""

    plan_id: str
    project_id: str
    title: str
    approved: bool
    budget: Decimal
    disbursed: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class FundReport:
    """Where a fund's money came from and went, and what each project has left."""

    organisation: str
    currency: str
    received: Decimal
    disbursed: Decimal
    balance: Decimal
    receipts: int
    projects: list[ProjectLine] = field(default_factory=list)


def receive(fund: Fund, amount: Decimal, sale_ref: str, on: date) -> Fund:
    """The fund with a premium receipt for the sale `sale_ref` added.

    A sale's premium is recorded once, so a repeated import cannot count it twice.
    """
    problems = _positive("amount", amount)
    if not sale_ref.strip():
        problems.append(_required("sale_ref"))
    elif any(isinstance(e, Receipt) and e.sale_ref == sale_ref for e in fund.entries):
        problems.append(
            Problem(
                "sale_ref",
                gettext_noop("The premium of sale %(sale)s is already recorded."),
                {"sale": sale_ref},
            )
        )
    return _append(fund, Receipt(amount, sale_ref, on), problems)


def propose_plan(fund: Fund, plan_id: str, projects: Iterable[Project], on: date) -> Fund:
    """The fund with an investment plan proposed; projects need unique ids and budgets > 0."""
    projects = tuple(projects)
    problems = [] if plan_id.strip() else [_required("plan_id")]
    if plan_id in _plans(fund):
        problems.append(
            Problem("plan_id", gettext_noop("Plan %(plan)s already exists."), {"plan": plan_id})
        )
    if not projects:
        problems.append(
            Problem("projects", gettext_noop("An investment plan needs at least one project."))
        )
    known = set(_projects(fund))
    for index, project in enumerate(projects):
        problems += _project_problems(project, f"projects[{index}]", known)
        known.add(project.id)
    return _append(fund, PlanProposed(plan_id, projects, on), problems)


def approve_plan(
    fund: Fund,
    plan_id: str,
    members_present: Iterable[str],
    on: date,
    quorum: int = DEFAULT_QUORUM,
    committee: Collection[str] | None = None,
) -> Fund:
    """The fund with the premium committee's approval of a proposed plan recorded.

    Needs at least `quorum` distinct members present; when `committee` is given, each
    member present must belong to it. A plan is approved once.
    """
    present = tuple(dict.fromkeys(m.strip() for m in members_present if m.strip()))
    problems = []
    if plan_id not in _plans(fund):
        problems.append(
            Problem("plan_id", gettext_noop("There is no plan %(plan)s."), {"plan": plan_id})
        )
    elif plan_id in _approved(fund):
        problems.append(
            Problem(
                "plan_id", gettext_noop("Plan %(plan)s is already approved."), {"plan": plan_id}
            )
        )
    if len(present) < max(quorum, 1):
        problems.append(
            Problem(
                "members_present",
                gettext_noop("%(present)s committee members present; the quorum is %(quorum)s."),
                {"present": len(present), "quorum": max(quorum, 1)},
            )
        )
    outsiders = [m for m in present if committee is not None and m not in committee]
    if outsiders:
        problems.append(
            Problem(
                "members_present",
                gettext_noop("Not members of the premium committee: %(members)s."),
                {"members": ", ".join(outsiders)},
            )
        )
    return _append(fund, PlanApproved(plan_id, present, on), problems)


def disburse(fund: Fund, project_id: str, amount: Decimal, on: date, note: str = "") -> Fund:
    """The fund with a disbursement to a project of an approved plan.

    Never beyond the fund's balance nor beyond the project's remaining budget.
    """
    problems = _positive("amount", amount)
    projects = _projects(fund)
    if project_id not in projects:
        problems.append(
            Problem(
                "project_id",
                gettext_noop("There is no project %(project)s."),
                {"project": project_id},
            )
        )
    else:
        plan_id, project = projects[project_id]
        if plan_id not in _approved(fund):
            problems.append(_not_approved(project_id, plan_id))
        remaining = project.budget - _disbursed_to(fund, project_id)
        if not problems and amount > remaining:
            problems.append(_beyond("budget", project_id, amount, remaining))
    if not problems and amount > fund.balance:
        problems.append(_beyond("balance", project_id, amount, fund.balance))
    return _append(fund, Disbursement(project_id, amount, on, note), problems)


def report(fund: Fund) -> FundReport:
    """Balance, money received and disbursed, and each project's budget and remainder."""
    approved = _approved(fund)
    lines = []
    for project_id, (plan_id, project) in _projects(fund).items():
        spent = _disbursed_to(fund, project_id)
        lines.append(
            ProjectLine(
                plan_id,
                project_id,
                project.title,
                plan_id in approved,
                project.budget,
                spent,
                project.budget - spent,
            )
        )
    return FundReport(
        organisation=fund.organisation,
        currency=fund.currency,
        received=fund.received,
        disbursed=fund.disbursed,
        balance=fund.balance,
        receipts=sum(1 for e in fund.entries if isinstance(e, Receipt)),
        projects=lines,
    )


def _append(fund: Fund, entry: Entry, problems: list[Problem]) -> Fund:
    if problems:
        raise FundError(problems)
    return replace(fund, entries=(*fund.entries, entry))


def _plans(fund: Fund) -> dict[str, PlanProposed]:
    return {e.plan_id: e for e in fund.entries if isinstance(e, PlanProposed)}


def _approved(fund: Fund) -> set[str]:
    return {e.plan_id for e in fund.entries if isinstance(e, PlanApproved)}


def _projects(fund: Fund) -> dict[str, tuple[str, Project]]:
    """Every project by id, with the plan it belongs to, in the order proposed."""
    return {p.id: (plan.plan_id, p) for plan in _plans(fund).values() for p in plan.projects}


def _disbursed_to(fund: Fund, project_id: str) -> Decimal:
    return sum(
        (
            e.amount
            for e in fund.entries
            if isinstance(e, Disbursement) and e.project_id == project_id
        ),
        ZERO,
    )


def _project_problems(project: Project, path: str, known: set[str]) -> list[Problem]:
    problems = [] if project.id.strip() else [_required(f"{path}.id")]
    if project.id in known:
        problems.append(
            Problem(
                f"{path}.id",
                gettext_noop("Project %(project)s already exists."),
                {"project": project.id},
            )
        )
    if not project.title.strip():
        problems.append(_required(f"{path}.title"))
    return problems + _positive(f"{path}.budget", project.budget)


def _positive(path: str, amount: Decimal) -> list[Problem]:
    if _is_amount(amount):
        return []
    return [
        Problem(
            path,
            gettext_noop("%(field)s must be a positive amount; it is %(value)s."),
            {"field": path, "value": amount},
        )
    ]


def _is_amount(value: object) -> bool:
    # Money is Decimal (or a whole int); a float or bool is refused rather than rounded.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return False
    return Decimal(value).is_finite() and value > 0


def _required(path: str) -> Problem:
    return Problem(path, gettext_noop("%(field)s is required."), {"field": path})


def _not_approved(project_id: str, plan_id: str) -> Problem:
    return Problem(
        "project_id",
        gettext_noop(
            "Project %(project)s belongs to plan %(plan)s, which the premium committee has not "
            "approved."
        ),
        {"project": project_id, "plan": plan_id},
    )


def _beyond(limit: str, project_id: str, amount: Decimal, available: Decimal) -> Problem:
    templates = {
        "budget": gettext_noop(
            "%(amount)s is more than the %(available)s left in the budget of project %(project)s."
        ),
        "balance": gettext_noop("%(amount)s is more than the fund's balance of %(available)s."),
    }
    return Problem(
        "amount",
        templates[limit],
        {"amount": amount, "available": available, "project": project_id},
    )
