"""Property-based run of the whole API against its own OpenAPI schema (schemathesis).

A director's token on the live server, a fixed number of examples per operation: no
answer may be a 5xx, an undocumented status code, or a body that breaks the schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from tests.api.conftest import World

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def live_world(transactional_db, live_server, request) -> World:
    """The API's `world`, committed, so the live server sees it."""
    return request.getfixturevalue("world")


def test_every_operation_conforms_to_the_schema(live_world, live_server, director):
    token = Token.objects.create(user=director)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    failures = {}
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # every operation is tried; failures are reported together
            failures[operation.label] = str(error)[:2000]

    assert operations >= 45
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
