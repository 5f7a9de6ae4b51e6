"""Demo: the shipped catalogues and crosswalks, owned by the fictional demo standard owner."""

from batea.registry.models import Organisation
from batea.standards import services
from batea.standards.models import Crosswalk, Standard, StandardVersion

DEMO_OWNER = "demo-standards"


def load(stdout=None) -> dict[str, int]:
    report = services.import_files(services.read_paths(services.shipped_files()))
    if not report.ok:
        raise RuntimeError(
            "Shipped catalogues do not validate:\n" + "\n".join(map(str, report.problems))
        )
    owner = Organisation.objects.filter(slug=DEMO_OWNER).first()
    if owner is not None:
        Standard.objects.filter(owner__isnull=True).update(owner=owner)
    return {
        "standard versions": StandardVersion.objects.count(),
        "crosswalks": Crosswalk.objects.count(),
    }
