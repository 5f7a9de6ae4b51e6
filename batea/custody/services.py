"""Custody operations: each checks its rules in `batea.domain.custody`, then stores the
result in one transaction. Lots change state through conditional updates (the row changes
only if it is still in the state the rule saw), and unique keys on `LotUse` stop a lot
being consumed, shipped by one holder or sold twice, so of two concurrent attempts exactly
one wins. Money and credit move under row locks and check constraints.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from batea.access.scoping import organisations_where
from batea.certification.models import Certificate
from batea.custody.models import (
    CustodyEvent,
    Incident,
    Lot,
    LotLink,
    LotOrigin,
    LotUse,
    MassBalanceAccount,
    MassBalanceEntry,
    MassBalancePeriod,
    RedFlagArea,
    ReferencePrice,
    Sale,
)
from batea.domain.access import CHANGE, Resource
from batea.domain.custody import CustodyError, flags
from batea.domain.custody import lots as rules
from batea.domain.custody import premiums as premium_rules
from batea.domain.custody.prices import parse_prices
from batea.domain.messages import Problem, gettext_noop
from batea.integrity.chains import seal
from batea.registry.models import Organisation, Site, explain

LOT_CODE = re.compile(r"[A-Za-z0-9._-]{1,40}")  # it appears in the lot's address
DEFAULT_YIELD = (Decimal("0.90"), Decimal("1"))  # [I] refining keeps 90–100 % of fine content


def problems_error(problems: list[Problem]) -> ValidationError:
    """Domain problems as a Django ValidationError, by field, in the reader's language."""
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        field = problem.path.split(".")[0].split("[")[0] or "__all__"
        by_field.setdefault(field, []).append(
            explain(Problem("", problem.template, problem.params))
        )
    return ValidationError(by_field)


def _apply(operation, *args, **kwargs):
    """Run a domain rule; its problems become a ValidationError."""
    try:
        return operation(*args, **kwargs)
    except CustodyError as error:
        raise problems_error(error.problems) from error


def _require_change(user, organisation: Organisation) -> None:
    if not organisations_where(user, Resource.CUSTODY, CHANGE).filter(pk=organisation.pk).exists():
        raise PermissionDenied(
            _("Your role does not allow recording custody for %(org)s.")
            % {"org": organisation.name}
        )


def _claim_of(lot: Lot) -> rules.Claim | None:
    if lot.claim_version_id is None:
        return None
    return rules.Claim(
        lot.claim_version.standard.code, lot.claim_variant or None, lot.custody_model
    )


def domain_lot(lot: Lot) -> rules.Lot:
    """A stored lot as the custody rules see it."""
    return rules.Lot(
        str(lot.pk),
        lot.kind,
        lot.mineral,
        lot.mass_g,
        lot.fineness,
        str(lot.organisation_id),
        _claim_of(lot),
        lot.status,
        str(lot.consignee_id) if lot.consignee_id else None,
        str(lot.site_id) if lot.site_id else None,
        lot.produced_on,
        origin_sites=frozenset(lot.origin_sites),
    )


def _ledger(lots: list[Lot]) -> rules.Ledger:
    return rules.Ledger(lots={str(lot.pk): domain_lot(lot) for lot in lots})


def _locked(lot_ids) -> list[Lot]:
    """The lots, locked for this transaction (PostgreSQL; SQLite serialises writers)."""
    found = {
        lot.pk: lot
        for lot in Lot.objects.select_for_update(of=("self",))
        .select_related("claim_version__standard")
        .defer("claim_version__document")  # the catalogue is read only where needed
        .filter(pk__in=list(lot_ids))
    }
    missing = [str(i) for i in lot_ids if i not in found]
    if missing:
        raise ValidationError({"lot": _("Unknown lot %(lot)s.") % {"lot": ", ".join(missing)}})
    return [found[i] for i in lot_ids]


def _take(lot: Lot, event: CustodyEvent, use: str, **changes) -> None:
    """Move a lot on from the state the rules saw; fails if someone else moved it first."""
    moved = Lot.objects.filter(
        pk=lot.pk, status=lot.status, organisation_id=lot.organisation_id
    ).update(**changes)
    try:
        with transaction.atomic():
            LotUse.objects.create(event=event, lot=lot, use=use, holder_id=lot.organisation_id)
    except IntegrityError:
        moved = 0
    if moved != 1:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s was changed by someone else meanwhile; nothing was recorded.")
                % {"lot": lot.code}
            }
        )


def new_code(prefix: str = "LOT") -> str:
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


@dataclass
class ClaimInput:
    version: object = None  # StandardVersion or None
    variant: str = ""
    model: str = ""


def _check_claim_allowed(organisation, claim: ClaimInput, on: date) -> None:
    """A certified claim at production needs a valid certificate for that standard version
    and a chain-of-custody model the standard allows."""
    if claim.version is None:
        return
    models = claim.version.document.get("chain_of_custody", {}).get("models", [])
    errors = {}
    if claim.model not in models:
        errors["custody_model"] = _(
            "%(standard)s allows these chain-of-custody models: %(models)s."
        ) % {"standard": claim.version, "models": ", ".join(models) or "—"}
    certified = Certificate.objects.filter(
        organisation=organisation,
        version=claim.version,
        status=Certificate.Status.VALID,
        valid_from__lte=on,
        valid_until__gte=on,
    )
    if claim.variant:
        certified = certified.filter(variant=claim.variant)
    if not certified.exists():
        errors["claim_version"] = _(
            "%(org)s holds no valid certificate for %(standard)s on %(date)s: the lot cannot "
            "be claimed certified."
        ) % {"org": organisation.name, "standard": claim.version, "date": on.isoformat()}
    if errors:
        raise ValidationError(errors)


def _event(user, kind: str, organisation, on: date, **extra) -> CustodyEvent:
    """Record an event, sealed into the organisation's chain (in the caller's transaction)."""
    return seal(
        CustodyEvent(
            kind=kind, organisation=organisation, occurred_on=on, recorded_by=user, **extra
        )
    )


# Production ------------------------------------------------------------------------------


@transaction.atomic
def produce(
    user,
    organisation: Organisation,
    *,
    site: Site,
    mineral: str,
    kind: str,
    mass_g: Decimal,
    fineness: Decimal,
    members: dict,
    on: date,
    claim: ClaimInput | None = None,
    code: str | None = None,
) -> Lot:
    """Record a lot mined at one of the organisation's sites by some of its members
    (member → miner-days); red flags become incidents."""
    _require_change(user, organisation)
    claim = claim or ClaimInput()
    if site.organisation_id != organisation.pk:
        raise ValidationError({"site": _("The site belongs to another organisation.")})
    foreign = [m for m in members if m.organisation_id != organisation.pk]
    if foreign:
        raise ValidationError({"members": _("Some members belong to another organisation.")})
    if code is not None and not LOT_CODE.fullmatch(code):
        raise ValidationError(
            {"code": _("A lot code uses letters, digits, “-”, “_” and “.” only (at most 40).")}
        )
    _check_claim_allowed(organisation, claim, on)
    domain_claim = (
        rules.Claim(claim.version.standard.code, claim.variant or None, claim.model)
        if claim.version
        else None
    )
    candidate = rules.Lot(
        "new",
        kind,
        mineral,
        _decimal(mass_g),
        _decimal(fineness),
        str(organisation.pk),
        domain_claim,
    )
    produced = _apply(
        rules.produce,
        rules.Ledger(),
        candidate,
        str(site.pk),
        {str(m.pk): _decimal(days) for m, days in members.items()},
        on,
    )
    event = _event(user, CustodyEvent.Kind.PRODUCTION, organisation, on, site=site)
    lot = Lot.objects.create(
        code=code or new_code(),
        organisation=organisation,
        origin_organisation=organisation,
        kind=kind,
        mineral=mineral,
        mass_g=produced.mass_g,
        fineness=produced.fineness,
        fine_g=produced.fine_g,
        claim_version=claim.version,
        claim_variant=claim.variant,
        custody_model=claim.model if claim.version else "",
        site=site,
        produced_on=on,
        origin_sites=[str(site.pk)],
    )
    LotOrigin.objects.bulk_create(
        LotOrigin(lot=lot, member=m, miner_days=_decimal(d)) for m, d in members.items()
    )
    LotUse.objects.create(event=event, lot=lot, use="produced", holder=organisation)
    if claim.version and claim.model == "mass_balance":
        post_credit(
            organisation,
            claim.version.standard.code,
            claim.variant,
            lot.fine_g,
            on,
            f"lot:{lot.code}",
        )
    raise_production_flags(lot, members, on)
    return lot


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(value)
    except Exception as error:  # noqa: BLE001 - any unparsable input is a bad number
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value}) from error


def productivity_threshold(lot: Lot) -> Decimal:
    """The standard's eligibility bound on grams per miner-day, else the default (4 g)."""
    if lot.claim_version_id:
        for rule in lot.claim_version.document.get("eligibility", []):
            if rule.get("metric") == "gold_grams_per_miner_day" and "max" in rule:
                return Decimal(str(rule["max"]))
    return flags.DEFAULT_MAX_G_PER_MINER_DAY


def raise_production_flags(lot: Lot, members: dict, on: date) -> list[Incident]:
    """Plausibility of a production: grams per miner-day against the threshold and the
    site's history, origin in a red-flag area, mineral not mined at the site."""
    days = sum((_decimal(d) for d in members.values()), Decimal(0))
    found = []
    if lot.mineral == "gold":
        found += flags.check_productivity(lot.fine_g, days, productivity_threshold(lot))
        rate = flags.grams_per_miner_day(lot.fine_g, days)
        if rate is not None:
            found += flags.check_spike(rate, site_history(lot))
    areas = {a.name: a.geometry for a in RedFlagArea.objects.filter(active=True)}
    if areas and lot.site.geometry:
        found += _apply(flags.check_red_flag_areas, lot.site.geometry, areas)
    minerals = set(lot.site.commodities.values_list("mineral", flat=True))
    if minerals:
        found += flags.check_site_minerals(lot.mineral, lot.site.name, minerals)
    return [open_incident(lot.organisation, flag, on, lot=lot, site=lot.site) for flag in found]


def site_history(lot: Lot, window: int = flags.DEFAULT_SPIKE_WINDOW) -> list[Decimal]:
    """Grams per miner-day of the site's earlier productions, oldest first."""
    earlier = (
        Lot.objects.filter(site=lot.site, mineral=lot.mineral, produced_on__lte=lot.produced_on)
        .exclude(pk=lot.pk)
        .annotate(days=Sum("origins__miner_days"))
        .order_by("-produced_on", "-created_at")
        .values_list("fine_g", "days")[:window]
    )
    return [fine / days for fine, days in reversed(list(earlier)) if days]


def open_incident(organisation, flag: flags.Flag, on: date, lot=None, site=None) -> Incident:
    incident, _created = Incident.objects.get_or_create(
        lot=lot,
        code=flag.code,
        defaults={
            "organisation": organisation,
            "site": site,
            "severity": flag.severity,
            "template": flag.problem.template,
            "params": {k: str(v) for k, v in flag.problem.params.items()},
            "opened_on": on,
        },
    )
    return incident


# Transfers -------------------------------------------------------------------------------


@transaction.atomic
def ship(user, lot: Lot, to: Organisation, on: date) -> CustodyEvent:
    """The holder sends a lot; it stays in transit until the receiver confirms it."""
    (lot,) = _locked([lot.pk])
    _require_change(user, lot.organisation)
    _apply(rules.ship, _ledger([lot]), str(lot.pk), str(lot.organisation_id), str(to.pk), on)
    if to.pk == lot.organisation_id:
        raise ValidationError({"to": _("A lot is shipped to another organisation.")})
    event = _event(user, CustodyEvent.Kind.SHIPMENT, lot.organisation, on, counterparty=to)
    _take(lot, event, "shipped", status="in_transit", consignee=to)
    licence_flags = seller_licence_flags(lot.organisation, lot.mineral, on)
    for flag in licence_flags:
        open_incident(lot.organisation, flag, on, lot=lot)
    return event


def seller_licence_flags(seller: Organisation, mineral: str, on: date) -> list[flags.Flag]:
    """An ASMO selling without a licence valid that day raises a red flag."""
    if seller.kind != "asmo":
        return []
    licences = [
        flags.Licence(lic.valid_from, lic.valid_until)
        for lic in seller.licences.exclude(status__in=["revoked", "refused", "applied"])
    ]
    return flags.check_licence(seller.name, mineral, on, licences)


@transaction.atomic
def receive(user, lot: Lot, on: date) -> CustodyEvent:
    """The addressee confirms receipt: it becomes the holder."""
    (lot,) = _locked([lot.pk])
    if lot.consignee_id is None:
        raise ValidationError({"lot": _("Lot %(lot)s is not in transit.") % {"lot": lot.code}})
    receiver = lot.consignee
    _require_change(user, receiver)
    _apply(rules.receive, _ledger([lot]), str(lot.pk), str(receiver.pk), on)
    event = _event(
        user, CustodyEvent.Kind.RECEIPT, receiver, on, counterparty_id=lot.organisation_id
    )
    moved = Lot.objects.filter(pk=lot.pk, status="in_transit", consignee=receiver).update(
        status="active", organisation=receiver, consignee=None
    )
    try:
        with transaction.atomic():
            LotUse.objects.create(event=event, lot=lot, use="received", holder=receiver)
    except IntegrityError:
        moved = 0
    if moved != 1:
        raise ValidationError({"lot": _("Lot %(lot)s was already received.") % {"lot": lot.code}})
    return event


# Splits, merges, transformations ---------------------------------------------------------


def _store_outputs(event, inputs: list[Lot], products: list[rules.Lot], ledger, claim_version):
    """Create the output lots and the links recording what each took from each input."""
    origins = {lot.origin_organisation_id for lot in inputs}
    origin = origins.pop() if len(origins) == 1 else None  # mixed origins: none in particular
    stored = {}
    for product in products:
        stored[product.id] = Lot.objects.create(
            code=new_code(),
            organisation=inputs[0].organisation,
            origin_organisation_id=origin,
            kind=product.kind,
            mineral=product.mineral,
            mass_g=product.mass_g,
            fineness=product.fineness,
            fine_g=product.fine_g,
            claim_version=claim_version if product.claim else None,
            claim_variant=(product.claim.variant or "") if product.claim else "",
            custody_model=product.claim.model if product.claim else "",
            origin_sites=sorted(product.origin_sites),
        )
    by_id = {str(lot.pk): lot for lot in inputs}
    LotLink.objects.bulk_create(
        LotLink(
            event=event, parent=by_id[edge.parent], child=stored[edge.child], fine_g=edge.fine_g
        )
        for edge in ledger.edges
        if edge.child in stored
    )
    return list(stored.values())


def _consume(event, inputs: list[Lot]) -> None:
    for lot in inputs:
        _take(lot, event, "consumed", status="consumed")


@transaction.atomic
def split(user, lot: Lot, masses: list, on: date) -> list[Lot]:
    """Divide a lot into parts of the given masses (the same fineness and claim)."""
    (lot,) = _locked([lot.pk])
    _require_change(user, lot.organisation)
    ledger = _ledger([lot])
    parts = [(f"part-{i}", _decimal(m)) for i, m in enumerate(masses)]
    products = _apply(rules.split, ledger, str(lot.pk), str(lot.organisation_id), parts, on)
    event = _event(
        user,
        CustodyEvent.Kind.SPLIT,
        lot.organisation,
        on,
        loss_fine_g=ledger.events[-1].loss_fine_g,
    )
    _consume(event, [lot])
    return _store_outputs(event, [lot], products, ledger, lot.claim_version)


def _claim_argument(inputs: list[Lot], claim: ClaimInput | None):
    """The rules' claim: inherit from the inputs unless one is given (None: no claim)."""
    if claim is None:
        return rules.INHERIT, (inputs[0].claim_version if inputs[0].claim_version_id else None)
    if claim.version is None:
        return None, None
    domain = rules.Claim(claim.version.standard.code, claim.variant or None, claim.model)
    return domain, claim.version


@transaction.atomic
def merge(user, lots: list[Lot], on: date, claim: ClaimInput | None = None) -> Lot:
    """Combine lots of one holder and mineral into one."""
    inputs = _locked([lot.pk for lot in lots])
    _require_change(user, inputs[0].organisation)
    ledger = _ledger(inputs)
    argument, version = _claim_argument(inputs, claim)
    product = _apply(
        rules.merge,
        ledger,
        [str(lot.pk) for lot in inputs],
        str(inputs[0].organisation_id),
        "merged",
        argument,
        on,
    )
    event = _event(
        user,
        CustodyEvent.Kind.MERGE,
        inputs[0].organisation,
        on,
        loss_fine_g=ledger.events[-1].loss_fine_g,
    )
    _consume(event, inputs)
    _credit_mass_balance_inputs(inputs, product, on)
    return _store_outputs(event, inputs, [product], ledger, version)[0]


@transaction.atomic
def transform(
    user,
    lots: list[Lot],
    outputs: list[tuple],
    on: date,
    operation: str = "refining",
    kind: str = "fine_gold",
    claim: ClaimInput | None = None,
) -> list[Lot]:
    """Process lots (e.g. refine doré) into outputs of (mass, fineness), within the
    standard's yield bounds."""
    inputs = _locked([lot.pk for lot in lots])
    _require_change(user, inputs[0].organisation)
    ledger = _ledger(inputs)
    argument, version = _claim_argument(inputs, claim)
    products = _apply(
        rules.transform,
        ledger,
        [str(lot.pk) for lot in inputs],
        str(inputs[0].organisation_id),
        [(f"out-{i}", _decimal(m), _decimal(f)) for i, (m, f) in enumerate(outputs)],
        yield_bounds(version),
        argument,
        kind,
        on,
    )
    event = _event(
        user,
        CustodyEvent.Kind.TRANSFORMATION,
        inputs[0].organisation,
        on,
        operation=operation,
        loss_fine_g=ledger.events[-1].loss_fine_g,
    )
    _consume(event, inputs)
    for product in products:
        _credit_mass_balance_inputs(inputs, product, on)
    return _store_outputs(event, inputs, products, ledger, version)


def yield_bounds(version) -> tuple[Decimal, Decimal]:
    """The standard's bounds on fine content out ÷ in for processing, else the default."""
    declared = (version.document.get("chain_of_custody", {}) if version else {}).get("yield")
    if declared:
        return Decimal(str(declared["min"])), Decimal(str(declared["max"]))
    return DEFAULT_YIELD


def _credit_mass_balance_inputs(inputs: list[Lot], product: rules.Lot, on: date) -> None:
    """Certified inputs mixed into a mass-balance output credit the holder's account once."""
    if product.claim is None or product.claim.model != "mass_balance":
        return
    for lot in inputs:
        if lot.claim_version_id and lot.custody_model != "mass_balance":
            post_credit(
                lot.organisation,
                product.claim.standard,
                product.claim.variant or "",
                lot.fine_g,
                on,
                f"lot:{lot.code}",
            )


# Sales -----------------------------------------------------------------------------------


def reference_price(metal: str, on: date) -> ReferencePrice | None:
    return ReferencePrice.objects.filter(metal=metal, on__lte=on).order_by("-on").first()


@transaction.atomic
def sell(user, lot: Lot, buyer: Organisation, on: date, usd_per_troy_oz) -> Sale:
    """Sell a lot: the price is checked against the reference, the premium owed computed by
    the standard's rules, and a mass-balance claim debits the seller's credit."""
    (lot,) = _locked([lot.pk])
    _require_change(user, lot.organisation)
    price = _decimal(usd_per_troy_oz)
    if price <= 0:
        raise ValidationError({"usd_per_troy_oz": _("The price must be more than zero.")})
    if buyer.pk == lot.organisation_id:
        raise ValidationError({"buyer": _("A lot is sold to another organisation.")})
    _apply(rules.sell, _ledger([lot]), str(lot.pk), str(lot.organisation_id), str(buyer.pk), on)
    reference = reference_price(lot.mineral, on)
    prices = lot.claim_version.document.get("prices") if lot.claim_version_id else None
    check = owed = None
    sale = premium_rules.Sale(lot.mineral, lot.fine_g, price, on, lot.claim_variant or None)
    if reference is not None:
        check = _apply(premium_rules.minimum_price_check, prices, sale, reference.usd_per_troy_oz)
    if prices is not None:
        # Without a reference price for the day, a percentage premium is taken on the price
        # paid; a premium per kilogram does not depend on it.
        base = reference.usd_per_troy_oz if reference else price
        owed = _apply(premium_rules.premium_owed, prices, sale, base)
    event = _event(user, CustodyEvent.Kind.SALE, lot.organisation, on, counterparty=buyer)
    _take(lot, event, "sold", status="sold", consignee=None)
    Lot.objects.filter(pk=lot.pk).update(consignee=buyer)  # the buyer, for the record
    if lot.custody_model == "mass_balance":
        post_debit(
            lot.organisation,
            lot.claim_version.standard.code,
            lot.claim_variant,
            lot.fine_g,
            on,
            f"sale:{lot.code}",
        )
    record = Sale.objects.create(
        event=event,
        lot=lot,
        seller=lot.organisation,
        buyer=buyer,
        sold_on=on,
        fine_g=lot.fine_g,
        usd_per_troy_oz=price,
        reference_usd_per_troy_oz=reference.usd_per_troy_oz if reference else None,
        minimum_price_ok=check.ok if check else None,
        premium_rule=owed.premium_id or "" if owed else "",
        premium_owed=owed.amount if owed else Decimal(0),
        premium_currency=owed.currency if owed else "USD",
    )
    if check is not None and not check.ok:
        open_incident(
            lot.organisation,
            flags.Flag(
                "below_minimum_price",
                "medium",
                Problem(
                    "price",
                    gettext_noop(
                        "Sold at %(paid)s USD/troy oz, below the minimum of %(floor)s "
                        "(%(percent)s %% of the reference %(reference)s)."
                    ),
                    {
                        "paid": check.paid_usd_per_troy_oz,
                        "floor": round(check.floor_usd_per_troy_oz, 2),
                        "percent": check.percent,
                        "reference": check.reference_usd_per_troy_oz,
                    },
                ),
            ),
            on,
            lot=lot,
        )
    return record


# Mass balance ----------------------------------------------------------------------------


def _account(organisation, standard: str, variant: str) -> MassBalanceAccount:
    account, _created = MassBalanceAccount.objects.get_or_create(
        organisation=organisation, standard=standard, variant=variant or ""
    )
    return MassBalanceAccount.objects.select_for_update().get(pk=account.pk)


def _check_open(account: MassBalanceAccount, on: date) -> None:
    if account.closed_until and on <= account.closed_until:
        raise ValidationError(
            {
                "on": _("The mass balance is reconciled until %(date)s; that period is closed.")
                % {"date": account.closed_until.isoformat()}
            }
        )


def post_credit(organisation, standard: str, variant: str, fine_g: Decimal, on: date, ref: str):
    """Certified fine grams entering the organisation's mass-balance pool."""
    account = _account(organisation, standard, variant)
    _check_open(account, on)
    account.balance_g += fine_g
    account.save(update_fields=["balance_g"])
    return MassBalanceEntry.objects.create(
        account=account,
        kind="credit",
        on=on,
        fine_g=fine_g,
        reference=ref,
        balance_after_g=account.balance_g,
    )


def post_debit(organisation, standard: str, variant: str, fine_g: Decimal, on: date, ref: str):
    """Fine grams sold as certified under mass balance; never beyond the credit."""
    account = _account(organisation, standard, variant)
    _check_open(account, on)
    if fine_g > account.balance_g:
        raise ValidationError(
            {
                "lot": _(
                    "Only %(credit)s g of certified credit is left under %(standard)s; this lot "
                    "claims %(fine)s g."
                )
                % {
                    "credit": round(account.balance_g, 3),
                    "standard": standard,
                    "fine": round(fine_g, 3),
                }
            }
        )
    account.balance_g -= fine_g
    account.save(update_fields=["balance_g"])
    return MassBalanceEntry.objects.create(
        account=account,
        kind="debit",
        on=on,
        fine_g=fine_g,
        reference=ref,
        balance_after_g=account.balance_g,
    )


# Reference prices ------------------------------------------------------------------------


@transaction.atomic
def import_prices(content: bytes | str, metal: str = "gold", source: str = "") -> int:
    """Reference prices from a CSV of dates and USD per troy ounce: every row or none.
    Dates already known are updated. Returns how many rows were read."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(_("The file is not UTF-8 text.")) from error
    points = _apply(parse_prices, content, source)
    known = dict(ReferencePrice.objects.filter(metal=metal).values_list("on", "id"))
    new = [
        ReferencePrice(metal=metal, on=p.on, usd_per_troy_oz=p.usd_per_troy_oz, source=source)
        for p in points
        if p.on not in known
    ]
    ReferencePrice.objects.bulk_create(new, batch_size=2000)
    changed = [
        ReferencePrice(
            id=known[p.on], metal=metal, on=p.on, usd_per_troy_oz=p.usd_per_troy_oz, source=source
        )
        for p in points
        if p.on in known
    ]
    ReferencePrice.objects.bulk_update(changed, ["usd_per_troy_oz", "source"], batch_size=2000)
    return len(points)


def visible_lot(user, code_or_id: str) -> Lot:
    """A lot by code or id, if the user may see it (else DoesNotExist)."""
    lots = Lot.objects.visible_to(user).select_related(
        "organisation", "origin_organisation", "site", "claim_version__standard"
    )
    lot = lots.filter(code=code_or_id).first()
    if lot is None:
        import uuid

        try:
            lot = lots.filter(pk=uuid.UUID(str(code_or_id))).first()
        except ValueError:
            lot = None
    if lot is None:
        raise Lot.DoesNotExist(code_or_id)
    return lot


def may_act(user, lot: Lot) -> bool:
    """Whether the user may record custody events for the lot's holder."""
    return (
        organisations_where(user, Resource.CUSTODY, CHANGE).filter(pk=lot.organisation_id).exists()
    )


@transaction.atomic
def reconcile(user, account: MassBalanceAccount, start: date, end: date) -> MassBalancePeriod:
    """Close a reconciliation period with its statement: opening + credited − debited =
    closing, carried into the next period or expired (the account's rule). Periods follow
    each other without gaps; nothing can be posted into a closed period afterwards. The
    sums are one SQL aggregate, however many entries the period holds."""
    account = MassBalanceAccount.objects.select_for_update().get(pk=account.pk)
    if (
        not organisations_where(user, Resource.CUSTODY, CHANGE)
        .filter(pk=account.organisation_id)
        .exists()
    ):
        raise PermissionDenied(_("Your role does not allow reconciling this mass balance."))
    if end < start:
        raise ValidationError({"end": _("The period ends before it starts.")})
    open_entries = account.entries.all()
    if account.closed_until:
        expected = account.closed_until + timedelta(days=1)
        if start != expected:
            raise ValidationError(
                {
                    "start": _("The next period starts on %(date)s, the day after the last one.")
                    % {"date": expected.isoformat()}
                }
            )
        open_entries = open_entries.filter(on__gt=account.closed_until)
    if open_entries.filter(on__lt=start).exists():
        raise ValidationError(
            {
                "start": _("Some entries are dated before %(date)s and would belong to no period.")
                % {"date": start.isoformat()}
            }
        )
    sums = open_entries.filter(on__lte=end).aggregate(
        credited=Sum("fine_g", filter=Q(kind="credit"), default=Decimal(0)),
        debited=Sum("fine_g", filter=Q(kind="debit"), default=Decimal(0)),
    )
    last = account.periods.order_by("-end").first()
    opening = Decimal(last.statement["carried"]) if last else Decimal(0)
    closing = opening + sums["credited"] - sums["debited"]
    carried = closing if account.carry_over else Decimal(0)
    expired = closing - carried
    if expired > 0:
        if expired > account.balance_g:
            raise ValidationError(
                {
                    "end": _(
                        "Letting the credit expire would uncover debits already posted after "
                        "the period."
                    )
                }
            )
        account.balance_g -= expired
        MassBalanceEntry.objects.create(
            account=account,
            kind="expiry",
            on=end,
            fine_g=expired,
            reference=f"period:{start.isoformat()}",
            balance_after_g=account.balance_g,
        )
    account.closed_until = end
    account.save(update_fields=["balance_g", "closed_until"])
    statement = {
        "opening": str(opening),
        "credited": str(sums["credited"]),
        "debited": str(sums["debited"]),
        "closing": str(closing),
        "carried": str(carried),
        "expired": str(expired),
    }
    return MassBalancePeriod.objects.create(
        account=account, start=start, end=end, statement=statement, closed_by=user
    )
