"""XLSForms (ODK, KoboToolbox) built from a standard version, and the key to read back what
field teams submit with them.

A form asks, for one scope (a member, a site or the organisation), every requirement of the
version that applies to it: compliant / partly / non-compliant / not applicable, or a score
from 1 to 5, each with optional notes and a photo, grouped by chapter; the visit records the
subject, a GPS point and general notes. Labels and hints are given in every language of the
catalogue (`label::Español (es)`). Hidden `calculate` fields carry the standard, version,
scope, kind of assessment and organisation into every submission, so an export says which
form it came from whatever the server renamed.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.catalogue import Catalogue, Requirement

SCOPES = ("member", "site", "organisation")
DEFAULT_KIND = {"member": "ics", "site": "ics", "organisation": "self"}
KINDS = ("self", "ics", "peer", "audit")
PASS_FAIL_VALUES = ("compliant", "partly", "non_compliant", "not_applicable")
NOT_APPLICABLE = "not_applicable"
SCORES = ("1", "2", "3", "4", "5")
# Photos are scaled down on the phone before sending: small uploads over weak networks.
PHOTO_MAX_PIXELS = 1280
ANSWER_LIST = "compliance"
SCALE_LIST = "scale_1_5"
SUBJECT_LISTS = {"member": "members", "site": "sites"}
SUBJECT_FIELDS = {"member": "member", "site": "site"}
LOCATION_FIELD = "location"
VISIT_NOTES_FIELD = "visit_notes"
VISIT_GROUP = "visit"
# Hidden fields every generated form carries into its submissions.
STANDARD_FIELD = "batea_standard"
VERSION_FIELD = "batea_version"
SCOPE_FIELD = "batea_scope"
KIND_FIELD = "batea_kind"
ORGANISATION_FIELD = "batea_org"
FORMAT_FIELD = "batea_form"
# Bumped when the layout of generated forms changes, so that form versions change too.
FORM_FORMAT = "1"

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt": "Português",
    "sw": "Kiswahili",
    "lg": "Luganda",
    "qu": "Runasimi",
    "ay": "Aymar aru",
    "ln": "Lingála",
    "am": "አማርኛ",
}

# The words of the form itself, in the languages Batea ships; other catalogue languages get
# the English wording (a catalogue's own texts are always in every one of its languages).
FORM_TEXTS: dict[str, dict[str, str]] = {
    "compliant": {"en": "Compliant", "es": "Cumple", "fr": "Conforme"},
    "partly": {
        "en": "Partly compliant",
        "es": "Cumple parcialmente",
        "fr": "Partiellement conforme",
    },
    "non_compliant": {"en": "Non-compliant", "es": "No cumple", "fr": "Non conforme"},
    "not_applicable": {"en": "Not applicable", "es": "No aplica", "fr": "Sans objet"},
    "visit": {"en": "Visit", "es": "Visita", "fr": "Visite"},
    "member": {
        "en": "Member inspected",
        "es": "Miembro inspeccionado",
        "fr": "Membre inspecté",
    },
    "site": {"en": "Site inspected", "es": "Sitio inspeccionado", "fr": "Site inspecté"},
    "subject_hint": {
        "en": "Search by number or name.",
        "es": "Busque por número o nombre.",
        "fr": "Cherchez par numéro ou par nom.",
    },
    "location": {
        "en": "Location of the visit",
        "es": "Ubicación de la visita",
        "fr": "Lieu de la visite",
    },
    "visit_notes": {"en": "General notes", "es": "Notas generales", "fr": "Notes générales"},
    "notes": {"en": "Notes on %(code)s", "es": "Notas sobre %(code)s", "fr": "Notes sur %(code)s"},
    "photo": {"en": "Photo for %(code)s", "es": "Foto para %(code)s", "fr": "Photo pour %(code)s"},
    "score_hint": {
        "en": "Score from 1 (weak) to 5 (strong).",
        "es": "Puntaje de 1 (débil) a 5 (fuerte).",
        "fr": "Note de 1 (faible) à 5 (fort).",
    },
    "member_scope": {
        "en": "member inspection",
        "es": "inspección de miembro",
        "fr": "inspection de membre",
    },
    "site_scope": {
        "en": "site inspection",
        "es": "inspección de sitio",
        "fr": "inspection de site",
    },
    "organisation_scope": {
        "en": "organisation self-assessment",
        "es": "autoevaluación de la organización",
        "fr": "auto-évaluation de l'organisation",
    },
}


def form_text(key: str, language: str, **params) -> str:
    texts = FORM_TEXTS[key]
    text = texts.get(language) or texts["en"]
    return text % params if params else text


def language_column(language: str) -> str:
    """`Español (es)`: the XLSForm way of naming a translation, with its ISO 639 code."""
    return f"{LANGUAGE_NAMES.get(language, language)} ({language})"


def question_names(catalogue: Catalogue, scope: str) -> dict[str, str]:
    """Requirement id → question name, e.g. PG-LEG-01 → r_PG_LEG_01.

    Names are XML names without hyphens (ODK Central joins groups with "-"); a collision
    after cleaning gets a numbered suffix, in the catalogue's order, so the same catalogue
    always gives the same names.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for requirement in requirements_for(catalogue, scope):
        base = "r_" + re.sub(r"[^A-Za-z0-9_]", "_", requirement.id)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[requirement.id] = name
    return names


def requirements_for(catalogue: Catalogue, scope: str) -> list[Requirement]:
    """The requirements an assessment of this scope asks (as `assessments.services` does)."""
    return [r for r in catalogue.requirements if r.applies_to == scope]


def form_id(catalogue: Catalogue, scope: str, organisation: str | None = None) -> str:
    parts = ["batea", catalogue.id, scope] + ([organisation] if organisation else [])
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))[:100]


@dataclass(frozen=True)
class Subject:
    """A member or site offered in the form's choice list: its own id and a label."""

    code: str
    label: str


@dataclass
class XLSForm:
    """The three sheets of an XLSForm as rows of cells, ready to be written to a workbook."""

    form_id: str
    version: str
    title: str
    survey_columns: list[str]
    survey: list[dict[str, str]]
    choice_columns: list[str]
    choices: list[dict[str, str]]
    settings: dict[str, str]
    external_file: str | None = None  # the CSV a select_one_from_file question reads
    problems: list[Problem] = field(default_factory=list)


def _literal(value: str) -> str:
    quote = "'" if "'" not in value else '"'
    return f"{quote}{value}{quote}"


def build_xlsform(
    catalogue: Catalogue,
    scope: str,
    *,
    kind: str | None = None,
    organisation: str | None = None,
    subjects: list[Subject] | None = None,
    subjects_file: bool = False,
) -> XLSForm:
    """The XLSForm for one scope of a standard version.

    `subjects` (members or sites of the organisation) become a choice list; with
    `subjects_file`, or when no list is given, the form reads them from `members.csv` or
    `sites.csv` attached to the form on the server (columns name, label). `organisation`
    (a slug) is recorded in every submission so that imports refuse another organisation's.
    """
    problems: list[Problem] = []
    if scope not in SCOPES:
        problems.append(
            Problem(
                "scope",
                gettext_noop("Unknown scope %(scope)s; choose member, site or organisation."),
                {"scope": scope},
            )
        )
    kind = kind or DEFAULT_KIND.get(scope, "self")
    if kind not in KINDS:
        problems.append(
            Problem("kind", gettext_noop("Unknown kind of assessment %(kind)s."), {"kind": kind})
        )
    requirements = requirements_for(catalogue, scope) if not problems else []
    if not problems and not requirements:
        problems.append(
            Problem(
                "scope",
                gettext_noop(
                    "No requirement of %(standard)s %(version)s applies to the %(scope)s."
                ),
                {"standard": catalogue.id, "version": catalogue.version, "scope": scope},
            )
        )
    languages = list(catalogue.languages)
    default = "en" if "en" in languages else languages[0]
    title = (
        f"{catalogue.title.get(default) or catalogue.id} {catalogue.version} — "
        f"{form_text(f'{scope}_scope' if scope in SCOPES else 'visit', default)}"
    )
    fid = form_id(catalogue, scope, organisation)
    if problems:
        return XLSForm(fid, "", title, [], [], [], [], {}, problems=problems)

    lang_cols = [language_column(lang) for lang in languages]
    survey_columns = (
        ["type", "name"]
        + [f"label::{c}" for c in lang_cols]
        + [f"hint::{c}" for c in lang_cols]
        + ["required", "appearance", "calculation", "parameters"]
    )
    choice_columns = ["list_name", "name"] + [f"label::{c}" for c in lang_cols]
    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []

    def labels(texts: dict[str, str], prefix: str = "label") -> dict[str, str]:
        return {f"{prefix}::{language_column(lang)}": texts.get(lang, "") for lang in languages}

    def words(key: str, **params) -> dict[str, str]:
        return {lang: form_text(key, lang, **params) for lang in languages}

    for meta in ("start", "end", "today"):
        survey.append({"type": meta, "name": meta})
    constants = {
        STANDARD_FIELD: catalogue.id,
        VERSION_FIELD: catalogue.version,
        SCOPE_FIELD: scope,
        KIND_FIELD: kind,
        FORMAT_FIELD: FORM_FORMAT,
    }
    if organisation:
        constants[ORGANISATION_FIELD] = organisation
    for name, value in constants.items():
        survey.append({"type": "calculate", "name": name, "calculation": _literal(value)})

    external_file = None
    survey.append({"type": "begin_group", "name": VISIT_GROUP, **labels(words("visit"))})
    if scope in SUBJECT_FIELDS:
        list_name = SUBJECT_LISTS[scope]
        if subjects and not subjects_file:
            question_type = f"select_one {list_name}"
            for subject in subjects:
                choices.append(
                    {
                        "list_name": list_name,
                        "name": subject.code,
                        **labels({lang: subject.label for lang in languages}),
                    }
                )
        else:
            external_file = f"{list_name}.csv"
            question_type = f"select_one_from_file {external_file}"
        survey.append(
            {
                "type": question_type,
                "name": SUBJECT_FIELDS[scope],
                **labels(words(scope)),
                **labels(words("subject_hint"), "hint"),
                "required": "yes",
                "appearance": "autocomplete",
            }
        )
    survey.append({"type": "geopoint", "name": LOCATION_FIELD, **labels(words("location"))})
    survey.append({"type": "text", "name": VISIT_NOTES_FIELD, **labels(words("visit_notes"))})
    survey.append({"type": "end_group", "name": ""})

    names = question_names(catalogue, scope)
    chapters = dict(catalogue.chapters)
    current_chapter = None
    for requirement in requirements:
        if requirement.chapter != current_chapter:
            if current_chapter is not None:
                survey.append({"type": "end_group", "name": ""})
            current_chapter = requirement.chapter
            survey.append(
                {
                    "type": "begin_group",
                    "name": "ch_" + re.sub(r"[^A-Za-z0-9_]", "_", requirement.chapter),
                    **labels(chapters.get(requirement.chapter) or {}),
                }
            )
        name = names[requirement.id]
        title = {
            lang: f"{requirement.id} {requirement.title.get(lang, '')}".strip()
            for lang in languages
        }
        hint = dict(requirement.guidance)
        if requirement.scoring == "scale_1_5":
            hint = {
                lang: f"{hint.get(lang, '')} {form_text('score_hint', lang)}".strip()
                for lang in languages
            }
        answer_list = SCALE_LIST if requirement.scoring == "scale_1_5" else ANSWER_LIST
        survey.append(
            {
                "type": f"select_one {answer_list}",
                "name": name,
                **labels(title),
                **labels(hint, "hint"),
                "required": "yes",
            }
        )
        survey.append(
            {"type": "text", "name": f"{name}_notes", **labels(words("notes", code=requirement.id))}
        )
        survey.append(
            {
                "type": "image",
                "name": f"{name}_photo",
                **labels(words("photo", code=requirement.id)),
                "parameters": f"max-pixels={PHOTO_MAX_PIXELS}",
            }
        )
    survey.append({"type": "end_group", "name": ""})

    for value in PASS_FAIL_VALUES:
        choices.append({"list_name": ANSWER_LIST, "name": value, **labels(words(value))})
    for score in SCORES:
        choices.append(
            {"list_name": SCALE_LIST, "name": score, **labels({lang: score for lang in languages})}
        )
    choices.append(
        {"list_name": SCALE_LIST, "name": NOT_APPLICABLE, **labels(words(NOT_APPLICABLE))}
    )

    fingerprint = hashlib.sha256(
        json.dumps(
            [FORM_FORMAT, catalogue.checksum, scope, kind, organisation, survey, choices],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()[:8]
    settings = {
        "form_title": title,
        "form_id": fid,
        "version": f"{catalogue.version}-{fingerprint}",
        "default_language": language_column(default),
    }
    return XLSForm(
        form_id=fid,
        version=settings["version"],
        title=title,
        survey_columns=survey_columns,
        survey=survey,
        choice_columns=choice_columns,
        choices=choices,
        settings=settings,
        external_file=external_file,
    )


def subjects_csv_rows(subjects: list[Subject]) -> list[list[str]]:
    """The rows of `members.csv` / `sites.csv` for a select_one_from_file question."""
    return [["name", "label"]] + [[s.code, s.label] for s in subjects]


@dataclass(frozen=True)
class Question:
    name: str
    requirement: str
    scoring: str


@dataclass
class FormSpec:
    """What a submission of a generated form means: question name → requirement."""

    standard: str
    version: str
    scope: str
    questions: dict[str, Question]
    answer_words: dict[str, str]  # accepted answer (name or label, folded) → value

    def question(self, column: str) -> Question | None:
        return self.questions.get(column)


def form_spec(catalogue: Catalogue, scope: str) -> FormSpec:
    """The key to read submissions of any form generated from this version and scope."""
    names = question_names(catalogue, scope)
    questions = {
        name: Question(name, requirement.id, requirement.scoring)
        for requirement in requirements_for(catalogue, scope)
        for name in [names[requirement.id]]
    }
    answer_words: dict[str, str] = {}
    for value in PASS_FAIL_VALUES:
        answer_words[value] = value
        for text in FORM_TEXTS[value].values():
            answer_words[text.casefold()] = value
    answer_words["not applicable"] = NOT_APPLICABLE
    answer_words["n/a"] = NOT_APPLICABLE
    return FormSpec(catalogue.id, catalogue.version, scope, questions, answer_words)
