"""`batea simulate SCENARIO.yaml… [--json] [--from-registry]` — the scale-up simulator."""

import dataclasses
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from batea.domain.simulator import ScenarioError, compare, load_scenario, simulate
from batea.domain.simulator.scenario import MAX_REPETITIONS
from batea.insights import report
from batea.insights.registry import asmo_records


class Command(BaseCommand):
    help = (
        "Simulate how certification models reach ASMOs over years (see docs/simulator.md): "
        "a table per model and year, who is left out, and the models side by side."
    )

    def add_arguments(self, parser):
        parser.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
        parser.add_argument(
            "--from-registry",
            action="store_true",
            help="Take the ASMOs from the registry instead of the scenario's population.",
        )
        parser.add_argument("--repetitions", type=int, help="Override the scenario's repetitions.")
        parser.add_argument("--seed", type=int, help="Override the scenario's seed.")

    def handle(self, *args, **options):
        scenarios, problems = [], []
        for name in options["scenarios"]:
            try:
                content = Path(name).read_bytes()
            except OSError as error:
                raise CommandError(f"{name}: {error.strerror or error}") from error
            scenario, found = load_scenario(content, name)
            problems += found
            if scenario is not None:
                scenarios.append(self._override(scenario, options))
        if problems:
            self._fail(problems)
        records = None
        if options["from_registry"]:
            records, skipped = asmo_records()
            if skipped:
                self.stderr.write(
                    gettext("Skipped (no members or workforce): %(slugs)s")
                    % {"slugs": ", ".join(skipped)}
                )
        results, seconds = [], []
        for scenario in scenarios:
            started = time.perf_counter()
            try:
                results.append(simulate(scenario, records=records))
            except ScenarioError as error:
                self._fail(error.problems)
            seconds.append(time.perf_counter() - started)
        rows = compare(results)
        if options["json"]:
            document = {
                "scenarios": [result.as_dict() for result in results],
                "comparison": [row.as_dict() for row in rows],
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        for result, elapsed in zip(results, seconds, strict=True):
            self.stdout.write("\n".join(report.scenario_lines(result, elapsed)))
            self.stdout.write("")
        self.stdout.write("\n".join(report.comparison_lines(rows)))

    def _override(self, scenario, options):
        changes = {}
        if options.get("repetitions") is not None:
            if not 1 <= options["repetitions"] <= MAX_REPETITIONS:
                raise CommandError(f"--repetitions: from 1 to {MAX_REPETITIONS}")
            changes["repetitions"] = options["repetitions"]
        if options.get("seed") is not None:
            if options["seed"] < 0:
                raise CommandError("--seed: 0 or more")
            changes["seed"] = options["seed"]
        return dataclasses.replace(scenario, **changes) if changes else scenario

    def _fail(self, problems) -> None:
        for problem in problems:
            message = gettext(problem.template)
            message = message % problem.params if problem.params else message
            self.stderr.write(f"{problem.location}: {message}" if problem.location else message)
        self.stderr.write(
            gettext("%(count)s problem(s); nothing simulated.") % {"count": len(problems)}
        )
        sys.exit(1)
