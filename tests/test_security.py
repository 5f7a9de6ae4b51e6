"""Security controls, each as a specification (docs/security.md lists them with their threat):
sign-in throttling, CSRF on every form, upload limits, personal data kept out of exports
and public pages, JSON errors for unknown API URLs."""

import base64
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from batea.access.models import SignInFailure
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LIMIT = django_settings.BATEA_SIGN_IN_FAILURES


# Sign-in throttling ----------------------------------------------------------------------


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail_until_throttled(client, username: str) -> None:
    for _attempt in range(LIMIT):
        assert sign_in(client, username, "wrong").status_code == 200


def pass_the_window() -> None:
    """Move every recorded failure back by the whole window (no waiting, no clock)."""
    window = timedelta(seconds=django_settings.BATEA_SIGN_IN_WINDOW_SECONDS)
    for failure in SignInFailure.objects.all():
        failure.at -= window
        failure.save()


def test_after_too_many_failures_even_the_right_password_is_refused_with_a_reason(client):
    make_user("miner")
    fail_until_throttled(client, "miner")
    response = sign_in(client, "miner", "pw")
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_the_refusal_is_in_the_persons_language(client):
    make_user("minera")
    fail_until_throttled(client, "minera")
    response = client.post(
        reverse("login"),
        {"username": "minera", "password": "pw"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 429
    assert 'lang="es"' in response.content.decode()


def test_once_the_window_has_passed_the_person_may_sign_in_again(client):
    make_user("miner")
    fail_until_throttled(client, "miner")
    pass_the_window()
    response = sign_in(client, "miner", "pw")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_successful_sign_in_forgets_the_earlier_failures(client):
    make_user("miner")
    for _attempt in range(LIMIT - 1):
        sign_in(client, "miner", "wrong")
    assert sign_in(client, "miner", "pw").status_code == 302
    client.logout()
    for _attempt in range(LIMIT - 1):
        sign_in(client, "miner", "wrong")
    assert sign_in(client, "miner", "pw").status_code == 302


def test_failures_count_for_the_username_whatever_its_case_and_whoever_tries(client):
    make_user("miner")
    for attempt in range(LIMIT):
        other = Client(REMOTE_ADDR=f"10.0.0.{attempt + 1}")  # another worker, another address
        sign_in(other, "MINER" if attempt % 2 else "miner", "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.0.1.1"), "miner", "pw").status_code == 429


def test_one_address_trying_many_usernames_is_refused(client):
    make_user("miner")
    for attempt in range(django_settings.BATEA_SIGN_IN_FAILURES_PER_ADDRESS):
        sign_in(client, f"guess-{attempt}", "wrong")
    assert sign_in(client, "miner", "pw").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.9.9.9"), "miner", "pw").status_code == 302


def test_unknown_usernames_are_counted_like_known_ones_so_they_reveal_nothing(client):
    fail_until_throttled(client, "nobody-by-that-name")
    assert sign_in(client, "nobody-by-that-name", "pw").status_code == 429


def test_old_failures_are_pruned(client):
    make_user("miner")
    sign_in(client, "miner", "wrong")
    pass_the_window()
    sign_in(client, "miner", "wrong")
    assert SignInFailure.objects.count() == 1


def test_the_admin_sign_in_is_throttled_too(client):
    make_user("root", is_staff=True, is_superuser=True)
    fail_until_throttled(client, "root")
    response = client.post(
        "/admin/login/", {"username": "root", "password": "pw", "next": "/admin/"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_the_api_refuses_http_basic_guessing_with_429(client):
    make_user("script")
    for _attempt in range(LIMIT):
        refused = client.get("/api/organisations/", **basic("script", "wrong"))
        assert refused.status_code in (401, 403)
    response = client.get("/api/organisations/", **basic("script", "pw"))
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_a_successful_api_request_forgets_the_failures(client):
    make_user("script")
    for _attempt in range(LIMIT - 1):
        client.get("/api/organisations/", **basic("script", "wrong"))
    assert client.get("/api/organisations/", **basic("script", "pw")).status_code == 200
    assert not SignInFailure.objects.filter(username="script").exists()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings):
    from django.test import RequestFactory

    from batea.access.throttle import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7"
    )
    assert client_address(request) == "127.0.0.1"
    settings.BATEA_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.7"
    settings.BATEA_PROXY_COUNT = 2
    assert client_address(request) == "203.0.113.9"
    settings.BATEA_PROXY_COUNT = 1
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    assert client_address(request) is None


# CSRF on every form ----------------------------------------------------------------------

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "batea"
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.I | re.S)


def post_forms() -> list[tuple[str, str]]:
    """(template, body) of every form that posts, in every template of the project."""
    forms = []
    for template in sorted(TEMPLATE_ROOT.glob("**/templates/**/*.html")):
        for body in POST_FORM.findall(template.read_text()):
            forms.append((str(template.relative_to(TEMPLATE_ROOT)), body))
    return forms


def test_every_form_that_posts_carries_a_csrf_token():
    forms = post_forms()
    assert len(forms) >= 20  # the sign-in page, imports, answers, decisions, …
    missing = [template for template, body in forms if "{% csrf_token %}" not in body]
    assert not missing


def test_every_view_that_accepts_a_post_refuses_one_without_csrf_token(world):
    from tests.test_access_matrix import ROUTES, objects_of, url_for, write_methods

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager_a)
    objects = objects_of(world, "a")
    checked, accepted = 0, []
    for name, params in ROUTES:
        url = url_for(name, params, objects)
        if url is None:
            continue
        for method in write_methods(url):
            checked += 1
            response = getattr(client, method)(url, {"name": "x"})
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append(f"{method} {url}: {response.status_code}")
    assert checked >= 30
    assert not accepted, "\n".join(accepted)


# Upload limits ---------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def draft_assessment(world):
    from datetime import date

    from batea.assessments import services
    from batea.standards.models import StandardVersion

    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    return services.start_assessment(world.manager_a, world.org_a, version, "self", date.today())


def post_evidence(client, assessment, evidence):
    url = reverse("assessment-entry", args=[assessment.pk])
    return client.post(url, {"value": "compliant", "evidence": evidence})


def test_evidence_is_a_photo_or_pdf_by_its_content_not_only_its_name(world, client_for):
    client = client_for(world.manager_a)
    assessment = draft_assessment(world)
    response = post_evidence(client, assessment, upload("pit.png", b"<html><script>x</script>"))
    assert response.status_code == 400
    assert "The content of pit.png is not what its name says" in response.content.decode()
    response = post_evidence(client, assessment, upload("page.html", b"<html>"))
    assert response.status_code == 400
    assert "page.html is not a file of an accepted type" in response.content.decode()
    assert not assessment.answers.exists()
    assert post_evidence(client, assessment, upload("pit.png", PNG)).status_code == 302
    assert assessment.answers.get().evidence


def test_a_file_past_the_platform_limit_is_never_kept_and_is_refused_by_size(
    world, client_for, settings
):
    settings.BATEA_MAX_UPLOAD_BYTES = 64 * 1024
    assessment = draft_assessment(world)
    photo = PNG + b"\x00" * (100 * 1024)
    response = post_evidence(client_for(world.manager_a), assessment, upload("pit.png", photo))
    assert response.status_code == 400
    assert "The file is larger than 0.1 MB." in response.content.decode()
    assert not assessment.answers.exists()


def test_the_upload_handler_hands_on_only_the_size_of_an_oversized_file(settings):
    from django.test import RequestFactory

    settings.BATEA_MAX_UPLOAD_BYTES = 1024
    request = RequestFactory().post("/", {"file": upload("big.csv", b"a,b\n" * 1000)})
    received = request.FILES["file"]
    assert received.size == 4000
    assert received.read() == b""


def test_stored_evidence_that_is_not_a_photo_or_pdf_is_only_downloaded(world, client_for):
    answer = world.assessment_a.answers.get()
    answer.evidence.save("old.png", upload("old.png", b"<html><script>x</script>"), save=True)
    response = client_for(world.manager_a).get(reverse("answer-evidence", args=[answer.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    answer.evidence.save("photo.png", upload("photo.png", PNG), save=True)
    response = client_for(world.manager_a).get(reverse("answer-evidence", args=[answer.pk]))
    assert response["Content-Type"] == "image/png"


def import_standard(client, organisation, file):
    return client.post(reverse("standard-import"), {"files": file, "organisation": organisation.pk})


def test_standard_imports_take_yaml_text_of_at_most_2_mb(world, client_for):
    from batea.standards.models import StandardVersion

    client = client_for(world.standards_user)
    before = StandardVersion.objects.count()
    owner = world.standard_owner
    too_big = upload("big.yaml", b"# padding\n" * (2 * 1024 * 1024 // 10 + 1))
    response = import_standard(client, owner, too_big)
    assert response.status_code == 400
    assert "The file is larger than 2 MB." in response.content.decode()
    response = import_standard(client, owner, upload("catalogue.yaml", PNG))
    assert response.status_code == 400
    assert "catalogue.yaml is not a text file in UTF-8." in response.content.decode()
    response = import_standard(client, owner, upload("catalogue.exe", b"id: x\n"))
    assert response.status_code == 400
    assert "catalogue.exe is not a file of an accepted type (.yaml, .yml)." in (
        response.content.decode()
    )
    assert StandardVersion.objects.count() == before


def import_field_data(client, organisation, kind, file, **extra):
    url = reverse("fielddata", args=[organisation.slug])
    return client.post(url, {"kind": kind, "file": file, **extra})


def test_field_data_imports_refuse_files_too_large_or_of_another_type(world, client_for, settings):
    from batea.registry.models import Member

    client = client_for(world.manager_a)
    before = Member.objects.count()
    response = import_field_data(client, world.org_a, "members", upload("members.pdf", b"%PDF-"))
    assert response.status_code == 400
    assert "This import takes CSV, XLSX files; members.pdf is not one." in (
        response.content.decode()
    )
    response = import_field_data(client, world.org_a, "members", upload("members.csv", PNG))
    assert response.status_code == 400
    settings.BATEA_MAX_UPLOAD_BYTES = 1024 * 1024
    big = upload("members.csv", b"member_number,given_name\n" + b"A-1,Ana\n" * 200_000)
    response = import_field_data(client, world.org_a, "members", big)
    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.content.decode()
    assert Member.objects.count() == before


def test_a_site_data_mapping_is_yaml_text(world, client_for):
    client = client_for(world.manager_a)
    survey = upload("survey.csv", b"site_code,name\nA-9,New pit\n")
    response = import_field_data(
        client, world.org_a, "site_data", survey, mapping=upload("mapping.yaml", PNG)
    )
    assert response.status_code == 400
    assert "mapping.yaml is not a text file in UTF-8." in response.content.decode()


def test_request_bodies_and_file_counts_are_bounded():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * 1024 * 1024
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 5_000
    assert django_settings.FILE_UPLOAD_HANDLERS[0] == "batea.access.uploads.LimitedUploadHandler"


# Personal data in exports and public pages -----------------------------------------------

NATIONAL_ID = "CC-1.098.765.432"
NATIONAL_ID_FORMS = (NATIONAL_ID, "CC1098765432", "1098765432")
PHONE = "+57 311 555 0199"
PHONE_FORMS = (PHONE, "573115550199", "3115550199")
OWNER_ID = "79.123.456"


@pytest.fixture
def person(world):
    """A member with a national id, mining at a site whose third-party survey recorded its
    owner's phone and id; her lot is traced and sold (custody data in every export)."""
    from tests.conftest import make_member
    from tests.test_access_matrix import custody_of

    member = make_member(
        world.org_a, "A-777", "Esperanza", "Quispetorres", birth_year=1987, primary_site=None
    )
    member.set_national_id(NATIONAL_ID)
    member.save()
    world.site_a.attributes = {
        "telefono_propietario": PHONE,
        "Owner national ID": OWNER_ID,
        "armed_group_presence": False,
    }
    world.site_a.save()
    custody_of(world, "a")
    return member


def readable(response) -> str:
    """The text of a response, inside the workbook for an XLSX file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            return " ".join(workbook.read(n).decode("utf-8", "ignore") for n in workbook.namelist())
    return content.decode("utf-8", "ignore")


def export_urls(world) -> list[str]:
    from batea.fielddata import exports

    base = reverse("fielddata-export", args=[world.org_a.slug])
    urls = [reverse("organisation-members-csv", args=[world.org_a.slug])]
    for dataset in exports.DATASETS:
        urls.append(f"{base}?dataset={dataset}&format=xlsx")
        urls += [f"{base}?dataset={dataset}&format=csv&part={p}" for p in exports.parts_of(dataset)]
    urls.append(f"{base}?dataset=sites&format=geojson")
    lot = world.org_a.lots.get()
    urls += [
        "/api/members/",
        "/api/sites/",
        f"/api/lots/{lot.pk}/trace/",
        "/api/epcis/",
        reverse("organisation-sites-geojson", args=[world.org_a.slug]),
    ]
    return urls


def test_exports_carry_national_ids_and_survey_phones_only_masked(world, person, client_for):
    client = client_for(world.manager_a)
    seen = []
    for url in export_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        body = readable(response)
        seen.append(body)
        for raw in (*NATIONAL_ID_FORMS, *PHONE_FORMS, OWNER_ID, "79123456"):
            assert raw not in body, f"{url} shows {raw}"
    everything = " ".join(seen)
    assert person.national_id_masked in everything  # the mask is what people work with
    assert "••••••••0199" in everything  # the survey's phone, masked
    assert "armed_group_presence" in everything  # other survey columns are kept as they are


def test_public_pages_show_no_personal_data(world, person, client):
    public = [
        reverse("login"),
        reverse("verify"),
        reverse("verify-code", args=[world.certificate_a.public_code]),
        reverse("insights-public"),
        reverse("api-schema"),
    ]
    for url in public:
        response = client.get(url)
        assert response.status_code == 200, url
        body = readable(response)
        for private in (
            *NATIONAL_ID_FORMS,
            person.national_id_masked,
            "Esperanza",
            "Quispetorres",
            "Aguirre",
            PHONE,
            "1987",
        ):
            assert private not in body, f"{url} shows {private}"


def test_the_epcis_document_names_no_member(world, person, client_for):
    body = client_for(world.manager_a).get("/api/epcis/").content.decode()
    assert str(world.org_a.lots.get().pk) in body  # the lot is there, its miners are not
    assert "Aguirre" not in body
    assert str(world.member_a.pk) not in body


def test_personal_survey_columns_are_recognised_in_the_languages_batea_speaks():
    from batea.fielddata.exports import is_personal

    for key in (
        "Teléfono",
        "telefono_propietario",
        "e-mail",
        "Courriel",
        "cédula",
        "DNI",
        "national_id",
        "owner_phone_number",
        "date_of_birth",
        "fecha de nacimiento",
    ):
        assert is_personal(key), key
    for key in ("armed_group_presence", "mercury_kg", "nom_site", "telos", "depth_m"):
        assert not is_personal(key), key


# Errors ----------------------------------------------------------------------------------


def test_unknown_api_urls_can_answer_json_like_every_api_error():
    from django.test import RequestFactory

    from batea.api import not_found

    response = not_found(RequestFactory().get("/api/pathway/not-a-uuid/"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    page = not_found(RequestFactory().get("/orgs/nowhere/"))
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
