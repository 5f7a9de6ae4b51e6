"""`batea pathway ORG [--standard ID] [--at YYYY-MM-DD] [--json]`."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from batea.assessments import pathway
from batea.assessments.reporting import standard_data
from batea.registry.models import Organisation


class Command(BaseCommand):
    help = "Where an organisation stands on each standard of its ladder (or one standard)."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="Organisation id or slug")
        parser.add_argument("--standard", help="A standard id; default: the default ladder")
        parser.add_argument("--at", help="Evaluation date YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--max-steps", type=int, default=8)

    def handle(self, *args, **options):
        organisation = self._organisation(options["organisation"])
        try:
            on = date.fromisoformat(options["at"]) if options.get("at") else None
        except ValueError as error:
            raise CommandError(f"--at: {error}") from error
        results = self._results(organisation, options.get("standard"), on)
        data = [standard_data(result) for result in results]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"organisation": organisation.slug, "standards": data},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"{organisation.name} — evaluated on {data[0]['evaluated_on']}"
            if data
            else organisation.name
        )
        for item in data:
            self._print(item, options["max_steps"])

    def _organisation(self, key: str) -> Organisation:
        query = Q(slug=key)
        if len(key) == 36:
            query |= Q(pk=key)
        found = Organisation.objects.filter(query).first()
        if found is None:
            raise CommandError(f"No organisation {key!r}; see `batea orgs list`.")
        return found

    def _results(self, organisation, standard: str | None, on):
        if standard:
            version = pathway.version_for(organisation, standard)
            if version is None:
                raise CommandError(f"No standard {standard!r}; see `batea standards list`.")
            return [pathway.evaluate_standard(organisation, version, on)]
        ladder = pathway.default_ladder()
        if ladder is None:
            raise CommandError("No ladder is configured; name a --standard.")
        seen, results = set(), []
        for rung in pathway.evaluate_ladder_for(organisation, ladder, on):
            if rung.standard.standard not in seen:
                seen.add(rung.standard.standard)
                results.append(rung.standard)
        return results

    def _print(self, item: dict, max_steps: int) -> None:
        self.stdout.write(
            f"\n{item['standard']} {item['version']} (year {item['years_since_entry']} since entry)"
        )
        self.stdout.write(f"  level met: {item['current_level'] or 'none yet'}")
        for level in item["levels"]:
            mark = "✓" if level["met"] else "✗"
            extra = ""
            if level["development_average"] is not None:
                extra = (
                    f"  development average {level['development_average']}"
                    f" (needs {level['development_average_min']})"
                )
            self.stdout.write(f"  {mark} {level['id']}: {len(level['blocking'])} blocking{extra}")
            if not level["met"]:
                for blocker in level["blocking"][:5]:
                    self.stdout.write(
                        f"      {blocker['requirement']:<12} {blocker['kind']:<11}"
                        f" {blocker['status']}"
                    )
                break
        if item["next_steps"]:
            self.stdout.write("  next steps:")
            for step in item["next_steps"][:max_steps]:
                self.stdout.write(f"    {step['due']}  {step['requirement']:<12} {step['reason']}")
