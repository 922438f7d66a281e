"""The OpenAPI document: valid OpenAPI 3.1, complete, and true of the running server (schemathesis generates
requests from it and checks every answer: no server error, and the body matches the documented schema)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

PATHS = {"/api/dramas", "/api/dramas/{drama_id}", "/api/dramas/{drama_id}/reviews", "/api/sources", "/api/runs"}


@pytest.fixture(scope="module")
def document(api_url) -> dict:
    answer = httpx.get(f"{api_url}/api/openapi.json")
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module")
def api_schema(api_url):
    schema = schemathesis.openapi.from_url(f"{api_url}/api/openapi.json")
    schema.config.update(base_url=api_url)
    return schema


def test_the_document_is_valid_openapi_31(api_schema, document):
    api_schema.validate()  # against the OpenAPI 3.1 meta-schema; raises on a malformed document
    assert document["openapi"].startswith("3.1")


def test_every_endpoint_documents_its_answers(document):
    api = {path: ops for path, ops in document["paths"].items() if path.startswith("/api/")}
    assert set(api) == PATHS
    for path, ops in api.items():
        get = ops["get"]
        ok = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in ok, path
        assert {"304", "422"} <= set(get["responses"]), path
        assert get["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
        if "{drama_id}" in path:
            assert "404" in get["responses"], path
    drama = document["components"]["schemas"]["DramaDetail"]["properties"]
    assert {"consensus", "per_source", "per_episode", "aliases"} <= set(drama)
    sorts = next(p for p in document["paths"]["/api/dramas"]["get"]["parameters"] if p["name"] == "sort")
    assert "-score" in sorts["schema"]["enum"]


# Schemathesis's pytest plugin (`from_fixture`) reads pytest internals that pytest 9 no longer has: each
# operation's Hypothesis strategy is driven here instead, the same checks on every generated case.
@pytest.mark.parametrize("path", sorted(PATHS))
def test_generated_requests_get_documented_answers(api_schema, path):
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, status_code_conformance])

    check()
