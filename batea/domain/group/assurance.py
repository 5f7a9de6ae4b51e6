"""Assurance models a standard accepts: individual certification, a group with an Internal
Control System (the external auditor checks a sample of members), a Participatory Guarantee
System (peers review each other and a local council decides).

A catalogue declares them under `assurance.models`. One that says nothing accepts the
individual and ICS-group models, what Batea assumed before the key existed: a Participatory
Guarantee System is accepted only where a standard declares it.
"""

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.schema import ASSURANCE_MODELS, DEFAULT_ASSURANCE_MODELS

DEFAULT_MODELS: tuple[str, ...] = DEFAULT_ASSURANCE_MODELS
REFUSALS: dict[str, str] = {
    "individual": gettext_noop("%(standard)s does not certify organisations individually."),
    "ics_group": gettext_noop(
        "%(standard)s does not accept group certification with an Internal Control System: "
        "there is no member sample to draw for it."
    ),
    "pgs": gettext_noop(
        "%(standard)s does not accept a Participatory Guarantee System: a peer-review group "
        "cannot work under it."
    ),
}
if set(REFUSALS) != set(ASSURANCE_MODELS):  # pragma: no cover - a programming error
    raise RuntimeError("every assurance model needs a refusal message")


def accepted_models(document: dict) -> tuple[str, ...]:
    """The assurance models a standard version accepts, from its catalogue document."""
    assurance = document.get("assurance")
    if not assurance:
        return DEFAULT_MODELS
    return tuple(assurance["models"])


def accepts(document: dict, model: str) -> bool:
    return model in accepted_models(document)


def check_model(document: dict, model: str, standard: str) -> Problem | None:
    """None when the standard version accepts the assurance model, else why not."""
    if accepts(document, model):
        return None
    return Problem("", REFUSALS[model], {"standard": standard})
