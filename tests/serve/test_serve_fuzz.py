"""Property tests of every endpoint against the server's own OpenAPI description: whatever
the inputs, no 5xx, and responses match the documented shapes. Once as anyone (no admin key
on the server), once as the admin on a copy of the index (the admin routes past the key
check: their bodies, ids and deletions)."""

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
    for expected in ("POST /admin/index", "POST /admin/keys", "DELETE /admin/shows/{show_id}"):
        assert expected in ops


def test_no_server_errors(fuzz_server):
    _fuzz(_operations(fuzz_server.url))


def test_no_server_errors_as_admin(make_server, index_copy):
    live = make_server(data_dir=index_copy, admin_key="fuzz-admin")
    admin_ops = [op for op in _operations(live.url) if op.path.startswith("/admin")]
    assert len(admin_ops) >= 6
    _fuzz(admin_ops, headers={"x-trace-key": "fuzz-admin"})
    assert live.state.keys.list()  # the calls got past the key check: keys were made


def _harmless(case) -> None:
    """/admin/index may only ever be asked for paths that do not exist: a fuzzed "/" would
    index the whole machine."""
    if case.path == "/admin/index" and isinstance(case.body, dict):
        paths = case.body.get("paths")
        if isinstance(paths, list):
            case.body["paths"] = [f"/nonexistent-sabi-fuzz/{p}" for p in paths]


def _fuzz(operations: list, headers: dict[str, str] | None = None) -> None:
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case):
            _harmless(case)
            case.call_and_validate(checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc
