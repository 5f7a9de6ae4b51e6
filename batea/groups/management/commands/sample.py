"""`batea sample ORG --standard ID [--seed N] [--json]`: the external-audit sample."""

import json
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from batea.assessments.pathway import version_for
from batea.domain.group.sampling import SamplingError
from batea.groups.services import applicable_rules, sample_group
from batea.registry.models import Member, Organisation


class Command(BaseCommand):
    help = "Draw the risk-based external-audit sample of a group's members."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="Organisation id or slug")
        parser.add_argument("--standard", required=True, help="Standard id")
        parser.add_argument(
            "--seed",
            help="A whole number; default: a new random seed "
            "(printed, so the draw can be repeated)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        key = options["organisation"]
        query = Q(slug=key) | (Q(pk=key) if len(key) == 36 else Q())
        organisation = Organisation.objects.filter(query).first()
        if organisation is None:
            raise CommandError(f"No organisation {key!r}; see `batea orgs list`.")
        version = version_for(organisation, options["standard"])
        if version is None:
            raise CommandError(f"No standard {options['standard']!r}; see `batea standards list`.")
        raw_seed = options.get("seed")
        if raw_seed is None:
            seed = secrets.randbelow(2**31)
        elif raw_seed.isdigit():
            seed = int(raw_seed)
        else:
            raise CommandError(f"--seed must be a whole number, not {raw_seed!r}.")
        today = timezone.localdate()
        rules = applicable_rules(organisation, version.standard, today)
        try:
            sample = sample_group(
                organisation, version.document.get("sampling"), seed, today, version, rules
            )
        except SamplingError as error:
            raise CommandError(str(error)) from error
        names = dict(
            Member.objects.filter(pk__in=[d.member for d in sample.drawn]).values_list(
                "id", "member_number"
            )
        )
        drawn = [
            {
                "member": d.member,
                "member_number": names.get(_uuid(d.member)),
                "risk": d.risk,
                "why": d.reason.message,
            }
            for d in sample.drawn
        ]
        data = {
            "organisation": organisation.slug,
            "standard": version.standard.code,
            "version": version.version,
            "population": sample.population,
            "policy": sample.policy.method,
            "risk_rules": {
                "id": str(rules.rule_set.pk) if rules.rule_set else None,
                "title": rules.rule_set.title if rules.rule_set else "Batea defaults",
                "owner": rules.rule_set.owner.slug if rules.rule_set else None,
                "basis": rules.basis,
            },
            "seed": sample.seed,
            "base_size": sample.base_size,
            "size": sample.size,
            "arithmetic": sample.arithmetic,
            "strata": {risk: {"members": n, "drawn": k} for risk, (n, k) in sample.strata.items()},
            "drawn": drawn,
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{organisation.name} — {version} — {sample.population} members")
        self.stdout.write(f"policy: {sample.policy.method}; seed {sample.seed}")
        if rules.rule_set:
            self.stdout.write(
                f"risk rules: {rules.rule_set.title} ({rules.rule_set.owner.slug}, {rules.basis})"
            )
        else:
            self.stdout.write("risk rules: Batea defaults")
        for line in sample.arithmetic:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"sample size: {sample.size}")
        for risk, (n, k) in sample.strata.items():
            self.stdout.write(f"  {risk:<6} {k} of {n}")
        for item in drawn:
            self.stdout.write(
                f"  {item['member_number'] or item['member']:<10} {item['risk']:<6} {item['why']}"
            )


def _uuid(value: str):
    import uuid

    return uuid.UUID(value)
