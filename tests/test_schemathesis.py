"""The API keeps its promises: schemathesis drives every operation of the OpenAPI description
that drf-spectacular generates, signed in as people with data, and checks that nothing
answers 5xx and that every response is one the description documents: status code, content
type, headers and body schema.

Each operation gets valid requests, valid requests about a record the person may see, and
invalid ones; every request runs in a savepoint that is rolled back, so each starts from the
same world. Examples are few and derandomised, without deadline, to fit CI's time."""

import base64
import json

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
# The collection in an operation's path → the record of organisation A it may name.
RECORDS = {
    "organisations": "org",
    "members": "member",
    "sites": "site",
    "licences": "licence",
    "relations": "relation",
    "standard-versions": "standard_version",
    "requirements": "requirement",
    "crosswalks": "crosswalk",
    "assessments": "assessment",
    "answers": "answer",
    "nonconformities": "nonconformity",
    "corrective-actions": "corrective_action",
    "certificates": "certificate",
    "lots": "lot",
    "incidents": "incident",
    "sales": "sale",
    "pathway": "org",
}


def load_schema():
    """The description as the app serves it, bound to the WSGI app (requests stay
    in-process)."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    return loaded


OPERATIONS = [result.ok() for result in load_schema().get_all_operations()]


def basic_auth(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:pw".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def api_not_found_is_wired() -> bool:
    """Whether unknown URLs under /api/ answer JSON (batea.api.not_found as `handler404`)."""
    from importlib import import_module

    from django.conf import settings as django_settings

    urls = import_module(django_settings.ROOT_URLCONF)
    return getattr(urls, "handler404", None) == "batea.api.not_found"


def routed(case) -> bool:
    """Whether Django's URL resolver lets the request reach the operation at all: a route
    with a `<uuid:…>` converter refuses anything else before the API sees it."""
    from django.urls import Resolver404, resolve

    try:
        resolve(case.formatted_path)
    except Resolver404:
        return False
    return True


def strategy_for(operation, ids: dict[str, str]):
    """Valid requests, valid requests about a real record, and invalid requests."""
    negative = operation.as_strategy(GenerationMode.NEGATIVE)
    if not api_not_found_is_wired():
        # Until then, an unrouted path gets Django's HTML 404, which the description cannot
        # promise; batea/urls.py needs `handler404 = "batea.api.not_found"`.
        negative = negative.filter(routed)
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), negative]
    names = [parameter.name for parameter in operation.path_parameters]
    if names:
        record = ids[operation.path.strip("/").split("/")[1]]
        real = dict.fromkeys(names, record)
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    return st.one_of(strategies)


def problems_of(operations, username: str, ids: dict[str, str]) -> dict[str, str]:
    """What schemathesis finds, by operation."""
    headers = basic_auth(username)
    found = {}
    for operation in operations:

        @BOUNDED
        @given(case=strategy_for(operation, ids))
        def exercise(case):
            with transaction.atomic():
                try:
                    case.call_and_validate(headers=headers, checks=CHECKS)
                finally:
                    transaction.set_rollback(True)

        try:
            exercise()
        except Exception as error:  # noqa: BLE001 — every finding is reported below
            found[operation.label] = str(error)
    return found


@pytest.fixture
def ids(world) -> dict[str, str]:
    """Ids of organisation A's records, with custody data (a lot, its sale and incident)."""
    from tests.test_access_matrix import objects_of

    objects = objects_of(world, "a")
    return {collection: str(objects[key].pk) for collection, key in RECORDS.items()}


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Requests go through the WSGI handler, which closes a connection found inside a
    transaction at the end of each request; the test's transaction must outlive them (as
    Django's test client arranges)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _host_of_the_wsgi_client(settings):
    settings.ALLOWED_HOSTS = ["localhost"]  # what schemathesis' WSGI client sends


def report(found: dict[str, str]) -> str:
    return "\n\n".join(f"=== {label}\n{message}" for label, message in found.items())


def test_every_operation_answers_a_manager_as_described(world, ids):
    found = problems_of(OPERATIONS, "manager_a", ids)
    assert not found, report(found)


def test_certificate_decisions_answer_a_certifier_as_described(world, ids):
    operations = [op for op in OPERATIONS if op.path.startswith("/api/certificates/")]
    assert any(op.method.upper() == "POST" for op in operations)
    found = problems_of(operations, "certifier_user", ids)
    assert not found, report(found)
