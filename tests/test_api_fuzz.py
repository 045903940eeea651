"""schemathesis over the hub's whole OpenAPI, signed in as each role: whatever a person (or
an attacker holding their phone) sends, the hub answers without a server error and within
the schema it publishes."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Engine

from safewatch.api.app import create_app
from safewatch.core.config import Settings
from safewatch.core.roles import Role
from safewatch.services.enrolment import Enrolment, FaceTemplates
from safewatch.store.db import make_session_factory
from tests.conftest import BUS_URL, ENGINE_KIND, AnyPhoto, _empty
from tests.world import World

# make test fuzzes a sample that meets every route: each operation as one role (another one in
# the PostgreSQL pass), 3 examples; make test-long the deep run: every operation as every
# role (SAFEWATCH_FUZZ_DEEP=1), 25 examples.
DEEP = bool(os.environ.get("SAFEWATCH_FUZZ_DEEP"))
EXAMPLES = 25 if DEEP else 3
PASS_OFFSET = 0 if ENGINE_KIND == "sqlite" else 3
# Not fuzzed: sign-in and sign-out (their own tests; fuzzing them locks names and ends the
# role's session) and the endless alert stream.
SKIP = r"^/api/v1/(auth/|stream)"
ROLES = [role.value for role in Role]
TOKEN_OF = {
    "admin": "admin",
    "officer": "officer_a",
    "caseworker": "caseworker_a",
    "security_operator": "security_a",
    "dispatcher": "dispatcher",
    "protected_person": "victim_a",
}


@pytest.fixture(scope="module")
def world_for_fuzz(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the whole run: what one example creates, the next may meet."""
    _empty(engine)
    data = Path(tmp_path_factory.mktemp("fuzz"))
    settings_ = Settings(
        environment="test",  # type: ignore[arg-type]
        database_url=str(engine.url.render_as_string(hide_password=False)),
        data_dir=data / "var",
        secret_key="test-secret-key-0123456789",
        bus_url=BUS_URL,
        web_push=False,
    )
    factory = make_session_factory(engine)
    app = create_app(settings_, factory)
    app.state.enrolment = Enrolment(
        AnyPhoto(), FaceTemplates(settings_.template_dir, app.state.keys)
    )
    with TestClient(app) as client:
        app.state.alerting.dispatcher.close()
        app.state.retention.close()
        yield World.build(factory, client)
    _empty(engine)


def _published_schema() -> Any:
    """The OpenAPI the hub publishes (made without a database: it is only the routes)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Settings(environment="test", data_dir=Path(tmp), web_push=False)  # type: ignore[arg-type]
        )
        document = app.openapi()
        app.state.engine.dispose()
    return schemathesis.openapi.from_dict(document)


# (schemathesis' fixture-based loading does not work with pytest 9: the schema is loaded here.)
schema = _published_schema()


def _as_bytes(files: Any) -> Any:
    """schemathesis may generate a number or a text where a file goes: send it as bytes."""
    out = []
    for name, value in files:
        if isinstance(value, tuple):
            filename, content, *rest = value
            if not isinstance(content, bytes):
                content = str(content).encode()
            value = (filename, content, *rest)
        elif not isinstance(value, bytes):
            value = str(value).encode()
        out.append((name, value))
    return out


def _sampled_for(role: str) -> Any:
    """The operations this role fuzzes: all in the deep run, else its share of them."""

    def other_role(ctx: Any) -> bool:
        key = f"{ctx.operation.method.upper()} {ctx.operation.path}".encode()
        return (zlib.crc32(key) + PASS_OFFSET) % len(ROLES) != ROLES.index(role)

    operations = schema.exclude(path_regex=SKIP)
    return operations if DEEP else operations.exclude(func=other_role)


def _fuzz_as(role: str) -> Any:
    @_sampled_for(role).parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Any, world_for_fuzz: World) -> None:
        headers = {"Authorization": f"Bearer {world_for_fuzz.tokens[TOKEN_OF[role]]}"}
        sent = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        sent.pop("cookies", None)  # the API is called with bearer tokens
        if isinstance(sent.get("data"), bytes | str):
            sent["content"] = sent.pop("data")  # a raw body (a clip, a view)
        if sent.get("files"):
            sent["files"] = _as_bytes(sent["files"])
        response = world_for_fuzz.client.request(**sent)
        response.request.read()  # a multipart body, for the report
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    test.__name__ = f"test_no_server_error_and_no_schema_violation_as_{role}"
    return test


# One test per role: schemathesis' own parametrisation does not combine with pytest's.
for _role in ROLES:
    globals()[f"test_no_server_error_and_no_schema_violation_as_{_role}"] = _fuzz_as(_role)
