"""Property tests of every endpoint against the server's own OpenAPI description: whatever
the inputs, no 5xx, and responses match the documented shapes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_server(serve_index):
    from serve_live import LiveServer, settings_for

    # A server of its own, without an admin key: fuzzed calls must not change the index.
    live = LiveServer(settings_for(serve_index, admin_key="")).start()
    yield live
    live.stop()


def _operations(url: str) -> list:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_is_fuzzed(fuzz_server):
    ops = {f"{op.method.upper()} {op.path}" for op in _operations(fuzz_server.url)}
    for expected in ("GET /search", "POST /search", "GET /me", "GET /status", "POST /anilist"):
        assert expected in ops


def test_no_server_errors(fuzz_server):
    for operation in _operations(fuzz_server.url):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc
