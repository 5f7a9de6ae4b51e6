"""Premium fund services: receipts, the premium committee, investment plans, disbursements
and the fund report.

The rules are those of `batea.domain.custody.fund`: each operation builds the part of the
stored fund the rule needs (a snapshot as the domain's `Fund`), lets the rule decide, then
stores the result in one transaction. Money moves under row locks (`select_for_update` on
the fund, then the project) with F() expressions, and the models' check constraints
(balance never negative, disbursed within budget) are the last guard: if one fires, the
operation fails with a clear message and nothing is written.

Who may do what comes from `Resource.PREMIUM` through `batea.access.scoping`: an ASMO's
managers change their own fund; support officers and certifiers read it through their
relation.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from batea.access.scoping import organisations_where
from batea.custody.models import (
    CommitteeMember,
    Disbursement,
    InvestmentPlan,
    PlanProject,
    PremiumFund,
    PremiumReceipt,
    Sale,
)
from batea.domain.access import CHANGE, VIEW, Resource
from batea.domain.custody import CustodyError
from batea.domain.custody import fund as rules
from batea.domain.messages import Problem
from batea.integrity.chains import seal
from batea.registry.models import Member, MemberGender, Organisation, explain

DEFAULT_QUORUM = rules.DEFAULT_QUORUM  # [I] a configurable default, not a scheme's figure
CENT = Decimal("0.01")
MAX_MONEY = Decimal(10) ** 14  # MONEY fields: 16 digits, 2 of them decimals
NOTE_LENGTH = 200

# The groups of the production system a committee member speaks for (Fairmined: miners,
# plant workers, shareholders, vulnerable groups, local authorities).
GROUPS = {
    "miners": gettext_lazy("Miners"),
    "plant_workers": gettext_lazy("Plant workers"),
    "shareholders": gettext_lazy("Shareholders"),
    "womens_group": gettext_lazy("Women's group"),
    "vulnerable_groups": gettext_lazy("Vulnerable groups"),
    "local_authority": gettext_lazy("Local authority"),
    "community": gettext_lazy("Surrounding community"),
}
GENDERS = dict(MemberGender.choices)


# Who may --------------------------------------------------------------------------------


def may(user, organisation: Organisation, action: str = VIEW) -> bool:
    """Whether the user may read (or change) the organisation's premium fund."""
    return organisations_where(user, Resource.PREMIUM, action).filter(pk=organisation.pk).exists()


def _require_change(user, organisation: Organisation) -> None:
    if not may(user, organisation, CHANGE):
        raise PermissionDenied(
            _("Your role does not allow managing the premium fund of %(org)s.")
            % {"org": organisation.name}
        )


# The fund -------------------------------------------------------------------------------


def fund_of(organisation: Organisation) -> PremiumFund:
    """The organisation's premium fund, created empty the first time it is needed."""
    fund, _created = PremiumFund.objects.get_or_create(organisation=organisation)
    return fund


def is_stored(fund: PremiumFund) -> bool:
    """Whether the fund exists in the database (a page shows an unsaved, empty one)."""
    return not fund._state.adding


def _locked_fund(fund_id) -> PremiumFund:
    return PremiumFund.objects.select_for_update().get(pk=fund_id)


def recipient_of(sale: Sale) -> Organisation:
    """Whose fund a sale's premium reaches: the organisation that mined the lot, else (for
    material of mixed origin) the seller."""
    return sale.lot.origin_organisation or sale.seller


@transaction.atomic
def record_receipt(user, sale: Sale, amount=None, on: date | None = None, note: str = ""):
    """Record the premium of a sale as received into the fund of the lot's origin.

    One receipt per sale; the amount (by default the premium owed) must be positive.
    """
    sale = Sale.objects.select_related("lot__origin_organisation", "seller").get(pk=sale.pk)
    organisation = recipient_of(sale)
    _require_change(user, organisation)
    on = on or timezone.localdate()
    if not sale.premium_owed:
        raise ValidationError(
            {
                "sale": _(
                    "No premium is owed on the sale of lot %(lot)s: it was not sold as certified."
                )
                % {"lot": sale.lot.code}
            }
        )
    amount = sale.premium_owed if amount is None else _money(amount, "amount")
    errors = _date_problems(on, "on") | _note_problems(note)
    if not errors and on < sale.sold_on:
        errors["on"] = _("The lot was sold on %(date)s; its premium comes after.") % {
            "date": sale.sold_on.isoformat()
        }
    fund = _locked_fund(fund_of(organisation).pk)
    if sale.premium_currency != fund.currency:
        errors["amount"] = _(
            "The premium of this sale is in %(sale)s; the fund keeps %(fund)s."
        ) % {"sale": sale.premium_currency, "fund": fund.currency}
    if errors:
        raise ValidationError(errors)
    reference = sale.lot.code  # a sale is the sale of one lot
    existing = PremiumReceipt.objects.filter(sale=sale).values_list("amount", "received_on")
    snapshot = rules.Fund(
        str(organisation.pk),
        fund.currency,
        tuple(rules.Receipt(a, reference, d) for a, d in existing),
    )
    _apply(rules.receive, snapshot, amount, reference, on)
    try:
        with transaction.atomic():
            receipt = seal(
                PremiumReceipt(
                    fund=fund, sale=sale, amount=amount, received_on=on, note=(note or "").strip()
                )
            )
            PremiumFund.objects.filter(pk=fund.pk).update(balance=F("balance") + amount)
    except IntegrityError as error:
        raise ValidationError(
            {"sale": _("The premium of this sale is already recorded.")}
        ) from error
    return receipt


def pending_sales(organisation: Organisation):
    """Sales whose premium is owed to the organisation's fund and not yet received: of lots
    it mined, or of lots of mixed origin it sold. Read with the fund (Resource.PREMIUM)."""
    return (
        Sale.objects.filter(premium_owed__gt=0, receipt__isnull=True)
        .filter(
            Q(lot__origin_organisation=organisation)
            | Q(lot__origin_organisation__isnull=True, seller=organisation)
        )
        .select_related("lot")
        .order_by("sold_on", "lot__code")
    )


# The premium committee ------------------------------------------------------------------


@transaction.atomic
def add_committee_member(
    user,
    fund: PremiumFund,
    name: str,
    represents: str,
    since: date,
    gender: str = "",
    member: Member | None = None,
) -> CommitteeMember:
    """Add a person to the premium committee, with the group they speak for."""
    _require_change(user, fund.organisation)
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Give the committee member's name.")
    elif len(name.strip()) > 200:
        errors["name"] = _("At most 200 characters.")
    if represents not in GROUPS:
        errors["represents"] = _("Choose the group the member speaks for: %(groups)s.") % {
            "groups": ", ".join(str(label) for label in GROUPS.values())
        }
    if gender and gender not in GENDERS:
        errors["gender"] = _("Unknown gender %(gender)s.") % {"gender": gender}
    if member is not None and member.organisation_id != fund.organisation_id:
        errors["member"] = _("The member belongs to another organisation.")
    errors |= _date_problems(since, "since")
    if errors:
        raise ValidationError(errors)
    return CommitteeMember.objects.create(
        fund=fund,
        name=name.strip(),
        represents=represents,
        gender=gender,
        member=member,
        since=since,
    )


@transaction.atomic
def end_committee_member(user, person: CommitteeMember, until: date) -> CommitteeMember:
    """Record that a person left the premium committee on `until`."""
    person = (
        CommitteeMember.objects.select_for_update(of=("self",))
        .select_related("fund__organisation")
        .get(pk=person.pk)
    )
    _require_change(user, person.fund.organisation)
    errors = _date_problems(until, "until")
    if person.until is not None:
        errors["until"] = _("%(name)s already left the committee on %(date)s.") % {
            "name": person.name,
            "date": person.until.isoformat(),
        }
    elif until < person.since:
        errors["until"] = _("%(name)s joined the committee on %(date)s, after that day.") % {
            "name": person.name,
            "date": person.since.isoformat(),
        }
    if errors:
        raise ValidationError(errors)
    person.until = until
    person.save(update_fields=["until"])
    return person


def current_committee(fund: PremiumFund, on: date | None = None):
    """Committee members serving on `on` (today by default)."""
    on = on or timezone.localdate()
    if not is_stored(fund):
        return CommitteeMember.objects.none()
    return fund.committee.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on))


# Investment plans -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectInput:
    title: str
    budget: object
    beneficiaries: int = 0
    women: int = 0


@transaction.atomic
def propose_plan(
    user,
    fund: PremiumFund,
    title: str,
    goals: str,
    starts_on: date,
    ends_on: date,
    projects,
) -> InvestmentPlan:
    """Record an investment plan written by the premium committee, with its projects
    (title, budget, beneficiaries, of whom women). No money moves before it is approved."""
    _require_change(user, fund.organisation)
    items = [p if isinstance(p, ProjectInput) else ProjectInput(*p) for p in projects]
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the plan a title.")
    elif len(title.strip()) > 200:
        errors["title"] = _("At most 200 characters.")
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, date):
            errors[name] = _("Give a date.")
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        errors["ends_on"] = _("The plan ends before it starts.")
    budgets = []
    for number, item in enumerate(items, start=1):
        try:
            budgets.append(_money(item.budget, "projects"))
        except ValidationError:
            errors["projects"] = _("The budget of project %(number)s is not an amount.") % {
                "number": number
            }
            budgets.append(Decimal(0))
        counts = (item.beneficiaries or 0, item.women or 0)
        if any(not isinstance(n, int) or n < 0 for n in counts):
            errors["projects"] = _(
                "Project %(number)s: beneficiaries are counted in whole people."
            ) % {"number": number}
        elif counts[1] > counts[0]:
            errors["projects"] = _(
                "Project %(number)s: %(women)s women among %(all)s beneficiaries is not possible."
            ) % {"number": number, "women": counts[1], "all": counts[0]}
        if len((item.title or "").strip()) > 200:
            errors["projects"] = _("Project %(number)s: at most 200 characters.") % {
                "number": number
            }
    if errors:
        raise ValidationError(errors)
    domain_projects = [
        rules.Project(str(n), (item.title or "").strip(), budget)
        for n, (item, budget) in enumerate(zip(items, budgets, strict=True))
    ]
    _apply(
        rules.propose_plan, rules.Fund(str(fund.organisation_id)), "new", domain_projects, starts_on
    )
    plan = InvestmentPlan.objects.create(
        fund=fund,
        title=title.strip(),
        goals=(goals or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    PlanProject.objects.bulk_create(
        PlanProject(
            plan=plan,
            title=item.title.strip(),
            budget=budget,
            beneficiaries=item.beneficiaries or 0,
            women_beneficiaries=item.women or 0,
        )
        for item, budget in zip(items, budgets, strict=True)
    )
    return plan


def _plan_entries(plan: InvestmentPlan, projects) -> list:
    """The plan as the domain's ledger entries: proposed, and approved if it is."""
    entries = [
        rules.PlanProposed(
            str(plan.pk),
            tuple(rules.Project(str(p.pk), p.title, p.budget) for p in projects),
            plan.starts_on,
        )
    ]
    if plan.approved_on is not None:
        entries.append(rules.PlanApproved(str(plan.pk), (), plan.approved_on))
    return entries


@transaction.atomic
def approve_plan(
    user, plan: InvestmentPlan, members_present, on: date, quorum: int = DEFAULT_QUORUM
) -> InvestmentPlan:
    """The premium committee's approval of a plan: the members present must serve on the
    committee of that fund on that day, and be at least `quorum`."""
    plan = (
        InvestmentPlan.objects.select_for_update(of=("self",))
        .select_related("fund__organisation")
        .get(pk=plan.pk)
    )
    _require_change(user, plan.fund.organisation)
    errors = _date_problems(on, "on")
    if errors:
        raise ValidationError(errors)
    present = list(dict.fromkeys(members_present))
    names = {str(m.pk): m.name for m in present}
    committee = {str(pk) for pk in current_committee(plan.fund, on).values_list("pk", flat=True)}
    snapshot = rules.Fund(
        str(plan.fund.organisation_id), entries=tuple(_plan_entries(plan, plan.projects.all()))
    )
    try:
        rules.approve_plan(snapshot, str(plan.pk), list(names), on, quorum, committee)
    except CustodyError as error:
        problems = [_named(problem, names, plan) for problem in error.problems]
        raise _error(problems) from error
    plan.approved_on = on
    plan.save(update_fields=["approved_on", "updated_at"])
    plan.approved_by.set(present)
    return plan


def _named(problem: Problem, names: dict[str, str], plan: InvestmentPlan) -> Problem:
    """A problem about committee members or the plan, naming them instead of their ids."""
    params = dict(problem.params)
    if "members" in params:
        params["members"] = ", ".join(
            names.get(m.strip(), m) for m in str(params["members"]).split(",")
        )
    if "plan" in params:
        params["plan"] = plan.title
    return Problem(problem.path, problem.template, params)


# Disbursements --------------------------------------------------------------------------


@transaction.atomic
def disburse(user, project: PlanProject, amount, on: date, note: str = "") -> Disbursement:
    """Pay money out of the fund to a project of an approved plan: never beyond the fund's
    balance nor the project's remaining budget. Nothing is written on error."""
    fund_id, organisation_id = (
        PlanProject.objects.filter(pk=project.pk)
        .values_list("plan__fund_id", "plan__fund__organisation_id")
        .get()
    )
    _require_change(user, Organisation.objects.get(pk=organisation_id))
    amount = _money(amount, "amount")
    errors = _date_problems(on, "on") | _note_problems(note)
    if errors:
        raise ValidationError(errors)
    fund = _locked_fund(fund_id)  # always the fund first, then the project: no deadlock
    project = (
        PlanProject.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=project.pk)
    )
    plan = project.plan
    if plan.approved_on is not None and on < plan.approved_on:
        raise ValidationError(
            {
                "on": _("The plan was approved on %(date)s; money is paid after that.")
                % {"date": plan.approved_on.isoformat()}
            }
        )
    # The fund as the rule needs it: the balance, this project and what it has had.
    entries = [rules.Receipt(fund.balance + project.disbursed, "balance", on)]
    entries += _plan_entries(plan, [project])
    if project.disbursed:
        entries.append(rules.Disbursement(str(project.pk), project.disbursed, on))
    snapshot = rules.Fund(str(organisation_id), fund.currency, tuple(entries))
    try:
        rules.disburse(snapshot, str(project.pk), amount, on, note)
    except CustodyError as error:
        problems = [_named(problem, {}, plan) for problem in error.problems]
        raise _error(problems, project=project.title) from error
    try:
        with transaction.atomic():
            PremiumFund.objects.filter(pk=fund.pk).update(balance=F("balance") - amount)
            PlanProject.objects.filter(pk=project.pk).update(disbursed=F("disbursed") + amount)
            disbursement = seal(
                Disbursement(
                    fund=fund,
                    project=project,
                    amount=amount,
                    paid_on=on,
                    note=note.strip(),
                    recorded_by=user,
                )
            )
    except IntegrityError as error:  # a check constraint: the balance or budget would break
        raise ValidationError(
            {
                "amount": _(
                    "%(amount)s is more than the fund's balance or the project's remaining "
                    "budget allow; nothing was paid."
                )
                % {"amount": amount}
            }
        ) from error
    return disbursement


# The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectLine:
    project: PlanProject
    plan: InvestmentPlan
    approved: bool
    budget: Decimal
    disbursed: Decimal
    remaining: Decimal
    percent: int  # of the budget paid out, 0–100
    beneficiaries: int
    women_beneficiaries: int


@dataclass(frozen=True)
class PlanLine:
    plan: InvestmentPlan
    approved: bool
    approved_by: list[str]
    projects: list[ProjectLine]
    budget: Decimal
    disbursed: Decimal
    percent: int


@dataclass(frozen=True)
class CommitteeLine:
    person: CommitteeMember
    gender: str  # label in the reader's language, or ""
    represents: str  # label in the reader's language


@dataclass
class FundReport:
    organisation: Organisation
    fund: PremiumFund
    currency: str = "USD"
    received: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)
    balance: Decimal = Decimal(0)  # as stored (row-locked, constrained)
    consistent: bool = True  # the stored balances agree with the ledger of receipts
    receipts: int = 0
    plans: list[PlanLine] = field(default_factory=list)
    projects: list[ProjectLine] = field(default_factory=list)
    committee: list[CommitteeLine] = field(default_factory=list)
    former_committee: list[CommitteeLine] = field(default_factory=list)
    committee_women: int = 0
    committee_women_percent: Decimal | None = None
    beneficiaries: int = 0
    women_beneficiaries: int = 0
    beneficiaries_women_percent: Decimal | None = None
    groups_represented: list[str] = field(default_factory=list)
    generated_on: date | None = None


def fund_report(fund: PremiumFund, on: date | None = None) -> FundReport:
    """Received, disbursed and balance; each plan and project with its budget, what was
    paid and what is left; the committee with gender and the group each represents; the
    share of women on the committee and among the beneficiaries of approved plans.

    The figures come from the domain's `report` over the stored ledger (receipts and
    disbursements), checked against the stored balances. Callers authorise first."""
    on = on or timezone.localdate()
    organisation = fund.organisation
    report = FundReport(organisation, fund, fund.currency, generated_on=on)
    if not is_stored(fund):
        return report
    received = fund.receipts.aggregate(total=Sum("amount"), count=Count("id"))
    plans = list(fund.plans.prefetch_related("projects", "approved_by").order_by("starts_on"))
    paid = dict(
        Disbursement.objects.filter(project__plan__fund=fund)
        .values("project")
        .annotate(total=Sum("amount"))
        .values_list("project", "total")
    )
    entries = [rules.Receipt(received["total"] or Decimal(0), "receipts", on)]
    projects = {}
    for plan in plans:
        for project in plan.projects.all():
            projects[str(project.pk)] = (plan, project)
        entries += _plan_entries(plan, plan.projects.all())
    entries += [
        rules.Disbursement(str(project_id), total, on) for project_id, total in paid.items()
    ]
    summary = rules.report(rules.Fund(str(organisation.pk), fund.currency, tuple(entries)))
    report.received = summary.received.quantize(CENT)
    report.disbursed = summary.disbursed.quantize(CENT)
    report.balance = PremiumFund.objects.filter(pk=fund.pk).values_list("balance", flat=True).get()
    report.receipts = received["count"] or 0
    lines = {}
    for line in summary.projects:
        plan, project = projects[line.project_id]
        lines[line.project_id] = ProjectLine(
            project,
            plan,
            line.approved,
            line.budget.quantize(CENT),
            line.disbursed.quantize(CENT),
            line.remaining.quantize(CENT),
            _percent_int(line.disbursed, line.budget),
            project.beneficiaries,
            project.women_beneficiaries,
        )
    report.consistent = summary.balance == report.balance and all(
        line.disbursed == line.project.disbursed for line in lines.values()
    )
    for plan in plans:
        plan_lines = [lines[str(p.pk)] for p in plan.projects.all()]
        budget = sum((p.budget for p in plan_lines), Decimal(0))
        spent = sum((p.disbursed for p in plan_lines), Decimal(0))
        report.plans.append(
            PlanLine(
                plan,
                plan.approved_on is not None,
                sorted(m.name for m in plan.approved_by.all()),
                plan_lines,
                budget,
                spent,
                _percent_int(spent, budget),
            )
        )
    report.projects = [line for plan in report.plans for line in plan.projects]
    committed = [line for line in report.projects if line.approved]
    report.beneficiaries = sum(line.beneficiaries for line in committed)
    report.women_beneficiaries = sum(line.women_beneficiaries for line in committed)
    report.beneficiaries_women_percent = _share(report.women_beneficiaries, report.beneficiaries)
    current = set(current_committee(fund, on).values_list("pk", flat=True))
    for person in fund.committee.all():
        line = CommitteeLine(
            person,
            str(GENDERS.get(person.gender, person.gender)),
            str(GROUPS.get(person.represents, person.represents)),
        )
        (report.committee if person.pk in current else report.former_committee).append(line)
    report.committee_women = sum(1 for line in report.committee if line.person.gender == "female")
    report.committee_women_percent = _share(report.committee_women, len(report.committee))
    report.groups_represented = sorted({line.represents for line in report.committee})
    return report


def _percent_int(part: Decimal, whole: Decimal) -> int:
    return int(min(Decimal(100), part * 100 / whole)) if whole > 0 else 0


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


# Input and errors -----------------------------------------------------------------------


def _money(value, field_name: str) -> Decimal:
    """An amount of money in cents: a Decimal, int or numeric string (a float is read as
    written). Whether it is positive is the rules' business."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or isinstance(value, bool):
        raise ValidationError(
            {field_name: _("“%(value)s” is not an amount of money.") % {"value": value}}
        )
    if abs(amount) >= MAX_MONEY:
        raise ValidationError({field_name: _("%(value)s is too large.") % {"value": amount}})
    if amount != amount.quantize(CENT):
        raise ValidationError(
            {field_name: _("%(value)s has more than two decimals (cents).") % {"value": amount}}
        )
    return amount


def _date_problems(on, field_name: str) -> dict:
    if not isinstance(on, date):
        return {field_name: _("Give a date.")}
    if on > timezone.localdate():
        return {field_name: _("%(date)s is in the future.") % {"date": on.isoformat()}}
    return {}


def _note_problems(note: str) -> dict:
    if len((note or "").strip()) > NOTE_LENGTH:
        return {"note": _("At most %(count)s characters.") % {"count": NOTE_LENGTH}}
    return {}


# Where a rule's problem goes on a form, and how the field is named in its message.
FIELDS = {"sale_ref": "sale", "plan_id": "plan", "project_id": "project"}


def _label(path: str) -> str:
    if path == "amount":
        return _("The amount")
    if path.startswith("projects["):
        number = int(path.split("[")[1].split("]")[0]) + 1
        if path.endswith(".budget"):
            return _("The budget of project %(number)s") % {"number": number}
        if path.endswith(".title"):
            return _("The title of project %(number)s") % {"number": number}
        return _("Project %(number)s") % {"number": number}
    return path


def _error(problems: list[Problem], project: str | None = None) -> ValidationError:
    """The rules' problems as a ValidationError by form field, in the reader's language,
    with fields named in words rather than by their path."""
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        params = dict(problem.params)
        if "field" in params:
            params["field"] = _label(str(params["field"]))
        if "project" in params and project:
            params["project"] = project
        key = problem.path.split(".")[0].split("[")[0] or "__all__"
        by_field.setdefault(FIELDS.get(key, key), []).append(
            explain(Problem("", problem.template, params))
        )
    return ValidationError(by_field)


def _apply(operation, *args, **kwargs):
    try:
        return operation(*args, **kwargs)
    except CustodyError as error:
        raise _error(error.problems) from error
