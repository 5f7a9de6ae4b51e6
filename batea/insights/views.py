"""The scale-up simulator page and the charting library it uses."""

import csv
import functools
import gzip
import hashlib

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from batea.domain.simulator import ScenarioError, text
from batea.insights import report
from batea.insights.forms import SimulatorForm
from batea.insights.registry import asmo_records
from batea.insights.simulator import Changes, charts, run_all, shipped, tables
from batea.registry.models import Organisation, explain


class SimulatorView(LoginRequiredMixin, TemplateView):
    """Pick up to three shipped scenarios, change a few parameters, compare the results."""

    template_name = "insights/simulator.html"

    def get(self, request, *args, **kwargs):
        scenarios = shipped()
        lang = report.language()
        choices = [(stem, text(s.title, lang)) for stem, s in scenarios.items()]
        form = SimulatorForm(request.GET if "scenario" in request.GET else None, choices=choices)
        context = {
            "form": form,
            "scenarios": [
                {
                    "stem": stem,
                    "title": text(s.title, lang),
                    "description": text(s.description, lang),
                }
                for stem, s in scenarios.items()
            ],
        }
        if form.is_bound and form.is_valid() and form.cleaned_data["scenario"]:
            data = form.cleaned_data
            percent = data.get("subsidy_percent")
            changes = Changes(
                repetitions=data.get("repetitions"),
                years=data.get("years"),
                seed=data.get("seed"),
                premium_usd_per_kg=data.get("premium_usd_per_kg"),
                subsidy_share=None if percent is None else percent / 100,
                subsidy_budget=data.get("subsidy_budget"),
            )
            records = None
            if data.get("registry"):
                # What this person may see, and nothing else: only aggregates are shown.
                records, _skipped = asmo_records(Organisation.objects.visible_to(request.user))
            chosen = [(stem, scenarios[stem]) for stem in data["scenario"]]
            try:
                results, notes = run_all(chosen, changes, records)
            except ScenarioError as error:
                context["problems"] = [explain(p) for p in error.problems]
                return self.render_to_response(context)
            if not results:
                context["problems"] = notes
                return self.render_to_response(context)
            data_tables = tables(results)
            wanted = request.GET.get("format")
            if wanted == "csv" and request.GET.get("table") in data_tables:
                return _csv(data_tables[request.GET["table"]], request.GET["table"])
            query = request.GET.copy()
            for key in ("format", "table"):
                query.pop(key, None)
            context.update(
                results=[
                    {
                        "letter": "ABC"[i],
                        "result": r,
                        "title": text(r.title, lang),
                        "description": text(r.description, lang),
                        "women": round(
                            100 * r.population.women_miners / max(r.population.miners, 1)
                        ),
                        "licences": [
                            (report.licence_label(k), v) for k, v in r.population.by_licence.items()
                        ],
                    }
                    for i, r in enumerate(results)
                ],
                notes=notes,
                comparison=data_tables["comparison"],
                sections=[
                    {"id": name, **data_tables[name]} for name in ("coverage", "money", "left-out")
                ],
                charts=charts(results),
                query=query.urlencode(),
                plotly_version=plotly_version(),
            )
        return self.render_to_response(context)


def _csv(table: dict, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batea-simulator-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(table["columns"])
    for row in table["rows"]:
        writer.writerow(["" if value is None else value for value in row])
    return response


@functools.cache
def _plotly() -> tuple[bytes, bytes, str]:
    """plotly.js from the installed `plotly` package (not a CDN, not a copied file)."""
    import plotly
    from plotly.offline import get_plotlyjs

    body = get_plotlyjs().encode("utf-8")
    etag = f'"plotly-{plotly.__version__}-{hashlib.sha256(body).hexdigest()[:16]}"'
    return body, gzip.compress(body, compresslevel=6, mtime=0), etag


@require_GET
def plotly_js(request):
    """The charting library, cached for a year (its URL carries the package's version)."""
    body, compressed, etag = _plotly()
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def plotly_version() -> str:
    import plotly

    return plotly.__version__
