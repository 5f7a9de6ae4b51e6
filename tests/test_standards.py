"""Standards as data: the format, its validation, versions, crosswalks, pages, API and CLI."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from batea.domain.standards import load_catalogue
from batea.domain.standards.compare import compare_requirements
from batea.standards import services
from batea.standards.models import Crosswalk, Requirement, Standard, StandardVersion
from tests.conftest import EXAMPLE_CROSSWALK, EXAMPLE_STANDARD, example_version_1_1

EXAMPLE = EXAMPLE_STANDARD.read_text()


def problems_of(text: str) -> list[str]:
    catalogue, problems = load_catalogue(text, "broken.yaml")
    assert catalogue is None
    return [str(p) for p in problems]


class TestShippedCatalogues:
    def test_every_shipped_catalogue_and_crosswalk_validates(self, db):
        files = services.read_paths(services.shipped_files())
        catalogues, crosswalks, problems = services.validate_files(files)
        assert problems == []
        assert len(catalogues) >= 4
        assert len(crosswalks) >= 3

    def test_shipped_catalogues_are_labelled_as_batea_outlines_with_realistic_depth(self):
        for path in sorted(services.SHIPPED_DIR.glob("*.yaml")):
            catalogue, problems = load_catalogue(path.read_bytes(), path.name)
            assert not problems, problems
            meta = catalogue.document["standard"]
            assert "outline" in meta["source"]["en"].lower(), path.name
            assert "official" in meta["source"]["en"].lower(), path.name
            assert "outline" in catalogue.title["en"].lower(), path.name
            assert set(catalogue.languages) == {"en", "es", "fr"}
            assert len(catalogue.requirements) >= 25, path.name

    def test_the_annotated_example_in_the_docs_validates(self):
        catalogue, problems = load_catalogue(EXAMPLE, "example-standard.yaml")
        assert problems == []
        assert [level.id for level in catalogue.levels] == [
            "entry",
            "certified",
            "certified-ecological",
        ]


BROKEN = [
    ("malformed YAML", EXAMPLE.replace("chapters:", "chapters: [", 1), "Malformed YAML"),
    (
        "duplicate key",
        EXAMPLE.replace("  status: published", "  status: published\n  status: draft"),
        "duplicate key",
    ),
    (
        "unknown key",
        EXAMPLE.replace("  kind: progressive", "  kind: progressive\n  colour: red"),
        "Unknown key colour",
    ),
    (
        "duplicate requirement id",
        EXAMPLE.replace("id: EX-LEG-02", "id: EX-LEG-01"),
        "The id EX-LEG-01 is used more than once",
    ),
    (
        "level naming a missing requirement",
        EXAMPLE.replace("requirements: [EX-ENV-02]", "requirements: [EX-ENV-99]"),
        "names the unknown requirement EX-ENV-99",
    ),
    (
        "binding year out of range",
        EXAMPLE.replace("binding_year: 3", "binding_year: 12"),
        "12 is out of range",
    ),
    (
        "threshold out of range",
        EXAMPLE.replace("development_average_min: 3.0", "development_average_min: 7"),
        "7 is out of range",
    ),
    (
        "missing translation",
        EXAMPLE.replace("    fr: Norme minimale d'exemple\n", ""),
        "Translation missing for fr",
    ),
    (
        "unknown variant",
        EXAMPLE.replace("variants: [ecological]", "variants: [organic]"),
        "Unknown variant organic",
    ),
    ("wrong kind", EXAMPLE.replace("kind: major", "kind: serious"), "'serious' is not one of"),
    (
        "missing required key",
        EXAMPLE.replace("        scoring: pass_fail\n        rollup", "        rollup"),
        "The key scoring is required",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), BROKEN, ids=[c for c, _, _ in BROKEN])
def test_broken_catalogues_are_explained_with_file_line_and_path(case, text, expected):
    problems = problems_of(text)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("broken.yaml") for p in problems)


def test_a_problem_names_the_line_and_path_of_the_bad_value():
    text = EXAMPLE.replace("binding_year: 3", "binding_year: 12")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "binding_year: 12" in row)
    (problem,) = problems_of(text)
    assert problem.startswith(f"broken.yaml:{line}: chapters[1].requirements[0].binding_year")


def test_a_crosswalk_to_an_unknown_requirement_is_refused(db):
    bad = EXAMPLE_CROSSWALK.read_text().replace("to: EX-ENV-03", "to: EX-ENV-77")
    report = services.import_files(
        [
            (str(EXAMPLE_STANDARD), EXAMPLE_STANDARD.read_bytes()),
            ("example-1.1.yaml", example_version_1_1()),
            ("crosswalk.yaml", bad.encode()),
        ]
    )
    assert not report.ok
    assert "EX-ENV-77 is not a requirement of example-mini-standard 1.1" in str(report.problems[0])
    assert not StandardVersion.objects.exists()  # nothing imported, not even the catalogues


class TestVersions:
    def test_importing_the_same_version_twice_changes_nothing(self, db):
        files = [(str(EXAMPLE_STANDARD), EXAMPLE_STANDARD.read_bytes())]
        assert services.import_files(files).created == ["example-mini-standard 1.0"]
        again = services.import_files(files)
        assert again.created == [] and again.unchanged == ["example-mini-standard 1.0"]
        assert StandardVersion.objects.count() == 1
        assert Requirement.objects.count() == 4

    def test_changed_content_under_an_existing_version_is_refused(self, db):
        services.import_files([(str(EXAMPLE_STANDARD), EXAMPLE_STANDARD.read_bytes())])
        changed = EXAMPLE.replace("Every member is registered", "Each member is registered")
        report = services.import_files([("changed.yaml", changed.encode())])
        assert "already imported with different content" in str(report.problems[0])

    def test_a_new_version_leaves_the_older_one_untouched(self, db):
        services.import_files([(str(EXAMPLE_STANDARD), EXAMPLE_STANDARD.read_bytes())])
        old = StandardVersion.objects.get(version="1.0")
        before = list(Requirement.objects.filter(version=old).values())
        services.import_files([("example-1.1.yaml", example_version_1_1())])
        assert list(Requirement.objects.filter(version=old).values()) == before
        assert Standard.objects.get().versions.count() == 2

    def test_a_version_can_be_retired_and_is_kept(self, world):
        out = StringIO()
        call_command("standards", "retire", "example-mini-standard", "1.0", stdout=out)
        version = StandardVersion.objects.get(version="1.0")
        assert version.status == "retired" and version.retired_at is not None
        assert version.requirements.count() == 4

    def test_comparing_versions_shows_added_removed_and_changed(self, world):
        old, new = (StandardVersion.objects.get(version=v).catalogue() for v in ("1.0", "1.1"))
        diff = compare_requirements(old.requirements, new.requirements)
        assert [r.id for r in diff.added] == ["EX-ENV-03"]
        assert [r.id for r in diff.removed] == ["EX-ENV-01"]
        assert [(r.id, fields) for _, r, fields in diff.changed] == [("EX-LEG-01", ("title",))]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["en", "es", "fr"]), st.integers(0, 10))
def test_any_valid_binding_year_keeps_the_catalogue_valid_and_the_checksum_tracks_content(
    language, year
):
    text = EXAMPLE.replace("binding_year: 3", f"binding_year: {year}")
    catalogue, problems = load_catalogue(text)
    assert problems == []
    assert catalogue.requirement("EX-ENV-01").binding_year == year
    again, _ = load_catalogue(text + "\n# a comment changes nothing\n")
    assert again.checksum == catalogue.checksum
    assert (catalogue.checksum == load_catalogue(EXAMPLE)[0].checksum) == (year == 3)
    assert compare_requirements(catalogue.requirements, again.requirements).unchanged == 4


class TestCommandLine:
    def test_validate_prints_every_problem_and_exits_1(self, db, tmp_path):
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            EXAMPLE.replace("kind: major", "kind: serious").replace(
                "binding_year: 3", "binding_year: 12"
            )
        )
        err = StringIO()
        with pytest.raises(SystemExit) as exit_info:
            call_command("standards", "validate", str(bad), stderr=err)
        assert exit_info.value.code == 1
        assert "'serious' is not one of" in err.getvalue()
        assert "12 is out of range" in err.getvalue()
        assert "bad.yaml" in err.getvalue()

    def test_import_list_and_show(self, db):
        out = StringIO()
        call_command("standards", "import", str(EXAMPLE_STANDARD), stdout=out)
        assert "imported example-mini-standard 1.0" in out.getvalue()
        listing = StringIO()
        call_command("standards", "list", "--json", stdout=listing)
        assert json.loads(listing.getvalue())[0]["requirements"] == 4
        shown = StringIO()
        call_command("standards", "show", "example-mini-standard", "--language", "es", stdout=shown)
        assert "Estándar mínimo de ejemplo" in shown.getvalue()
        as_json = StringIO()
        call_command("standards", "show", "example-mini-standard", "--json", stdout=as_json)
        assert json.loads(as_json.getvalue())["standard"]["version"] == "1.0"

    def test_the_shipped_catalogues_import_in_one_command(self, db):
        out = StringIO()
        call_command("standards", "import", "--shipped", stdout=out)
        assert StandardVersion.objects.count() >= 4
        assert Crosswalk.objects.count() >= 3


class TestPages:
    def test_a_version_is_read_in_the_users_language_and_filtered(self, world, client_for):
        client = client_for(world.support_user)
        url = "/standards/example-mini-standard/1.0/"
        body = client.get(url).content.decode()
        assert "Every member is registered" in body
        assert "Certified ecological" in body
        client.post("/i18n/setlang/", {"language": "es", "next": url})
        body = client.get(url).content.decode()
        assert "Cada miembro está registrado" in body
        filtered = client.get(url, {"applies_to": "site"})
        assert [r.code for c in filtered.context["chapters"] for r in c["requirements"]] == [
            "EX-ENV-01",
            "EX-ENV-02",
        ]
        year_0 = client.get(url, {"year": "0"}).context["requirement_total"]
        assert year_0 == 2

    def test_versions_are_compared_and_crosswalks_shown(self, world, client_for):
        client = client_for(world.manager_a)
        compare = client.get(
            "/standards/example-mini-standard/compare/", {"from": "1.0", "to": "1.1"}
        )
        assert [r.id for r in compare.context["diff"].added] == ["EX-ENV-03"]
        crosswalk = client.get("/crosswalks/example-1-0-to-1-1/")
        assert "Partly equivalent" in crosswalk.content.decode()

    def test_a_standard_owner_imports_a_version_from_the_web(self, world, client_for):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client = client_for(world.standards_user)
        own = EXAMPLE.replace("id: example-mini-standard", "id: alliance-gold-code")
        upload = SimpleUploadedFile(
            "v2.yaml", own.replace('version: "1.0"', 'version: "2.0"').encode()
        )
        response = client.post(
            "/standards/import/", {"files": upload, "organisation": world.standard_owner.pk}
        )
        assert response.status_code == 302
        assert Standard.objects.get(code="alliance-gold-code").owner == world.standard_owner
        # A standard it does not own (here: one managed by the operator) stays closed to it.
        other = SimpleUploadedFile(
            "x.yaml", EXAMPLE.replace('version: "1.0"', 'version: "9.0"').encode()
        )
        refused = client.post(
            "/standards/import/", {"files": other, "organisation": world.standard_owner.pk}
        )
        assert refused.status_code == 400
        assert "belongs to another organisation" in refused.content.decode()

    def test_a_broken_upload_lists_problems_and_imports_nothing(self, world, client_for):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client = client_for(world.standards_user)
        broken = EXAMPLE.replace('version: "1.0"', 'version: "3.0"').replace(
            "binding_year: 3", "binding_year: 12"
        )
        response = client.post(
            "/standards/import/",
            {
                "files": SimpleUploadedFile("v3.yaml", broken.encode()),
                "organisation": world.standard_owner.pk,
            },
        )
        assert response.status_code == 400
        assert "out of range" in response.content.decode()
        assert not StandardVersion.objects.filter(version="3.0").exists()

    def test_only_standard_owners_may_import(self, world, client_for):
        assert client_for(world.manager_a).get("/standards/import/").status_code == 403


def test_the_api_lists_requirements_by_version_and_kind(world, client_for):
    client = client_for(world.buyer_user)
    version = StandardVersion.objects.get(version="1.0")
    data = client.get("/api/requirements/", {"version": str(version.pk), "kind": "core"}).json()
    assert {r["code"] for r in data["results"]} == {"EX-LEG-01", "EX-ENV-02"}
    crosswalks = client.get("/api/crosswalks/").json()
    assert crosswalks["results"][0]["mappings"][0]["relation"] == "equivalent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x [1, 2]\nb: *x\n", "aliases"),
        ("? [a, b]\n: 1\n", "keys must be plain"),
        ("title: {1: x}\n", "Every key must be a word"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ],
)
def test_hostile_yaml_is_refused_with_a_message(text, expected):
    assert any(expected in p for p in problems_of(text))


class TestAssuranceModels:
    """A standard declares which assurance models it accepts; the shipped outlines mark
    their choice as a Batea default."""

    def test_the_shipped_outlines_declare_their_assurance_models_as_batea_defaults(self):
        declared = {}
        for path in sorted(services.SHIPPED_DIR.glob("*.yaml")):
            catalogue, problems = load_catalogue(path.read_bytes(), path.name)
            assert not problems, problems
            assurance = catalogue.document["assurance"]
            assert assurance["basis"] == "inferred", path.name
            declared[catalogue.id] = assurance["models"]
        assert declared == {
            "craft-style-market-entry": ["individual", "ics_group", "pgs"],
            "fairmined-style-progressive": ["individual", "ics_group"],
            "fairtrade-style-gold": ["individual", "ics_group"],
            "oecd-annex-ii-risk-screen": ["individual"],
        }

    @pytest.mark.parametrize(
        ("models", "expected"),
        [
            ("[individual, barter]", "assurance.models[1]: 'barter' is not one of"),
            ("[pgs, pgs]", "assurance.models: An item is listed more than once."),
            ("[]", "assurance.models: This must not be empty."),
            ("[individual, pgs]", "assurance.models: A sampling policy is for group certification"),
        ],
    )
    def test_a_wrong_declaration_is_explained_with_its_path(self, models, expected):
        text = EXAMPLE.replace("models: [individual, ics_group, pgs]", f"models: {models}")
        problems = problems_of(text)
        assert any(expected in p for p in problems), problems

    def test_the_key_is_optional(self):
        start = EXAMPLE.index("assurance:")
        end = EXAMPLE.index("sampling:")
        catalogue, problems = load_catalogue(EXAMPLE[:start] + EXAMPLE[end:], "no-assurance.yaml")
        assert problems == [] and "assurance" not in catalogue.document
