"""The safewatch command as an administrator uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from safewatch.cli import app
from safewatch.core.config import get_settings, new_secret, strong_secret
from safewatch.models import Agency, AuditEntry, User
from tests.sens_fake import production_sms_env
from tests.world import World

runner = CliRunner()


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    values = {"SAFEWATCH_DATABASE_URL": database_url, "SAFEWATCH_DATA_DIR": str(tmp_path)}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def test_db_upgrade_is_idempotent(env: dict[str, str], world: World) -> None:
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    assert "database at head" in r.output


def test_user_create(env: dict[str, str], world: World) -> None:
    with world.factory() as s:
        station = s.scalar(select(Agency.name).where(Agency.id == world.agencies["station_a"]))
    args = [
        "user",
        "create",
        "kim",
        "--role",
        "officer",
        "--full-name",
        "Kim",
        "--agency",
        str(station),
        "--password",
        "a-long-password",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "created officer 'kim'" in r.output
    with world.factory() as s:
        user = s.scalar(select(User).where(User.username == "kim"))
        assert user is not None and user.agency_id == world.agencies["station_a"]
    r = runner.invoke(app, [*args[:-1], "short"])
    assert r.exit_code == 1
    r = runner.invoke(
        app,
        [
            "user",
            "create",
            "lee",
            "--role",
            "officer",
            "--full-name",
            "Lee",
            "--agency",
            "Nowhere",
            "--password",
            "a-long-password",
        ],
    )
    assert r.exit_code == 1 and "no agency named 'Nowhere'" in r.output


def test_audit_verify_reports_tampering(env: dict[str, str], world: World) -> None:
    world.get("officer_a", f"/api/v1/cases/{world.cases['a']}")
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0, r.output
    assert "audit chain intact" in r.output
    with world.factory() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor_role="admin"))
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1
    assert "entry 2 was altered after it was written" in r.output


def test_refuses_default_secret_in_production(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEWATCH_ENVIRONMENT", "production")
    production_sms_env(monkeypatch)
    get_settings.cache_clear()
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 2
    assert "SAFEWATCH_SECRET_KEY is the development default" in r.output


def test_demo_seed_builds_a_working_region(env: dict[str, str], session_factory: object) -> None:
    r = runner.invoke(app, ["demo", "seed"])
    assert r.exit_code == 0, r.output
    assert "victim" in r.output and "safewatch-demo" in r.output
    r = runner.invoke(app, ["demo", "seed"])
    assert "already there" in r.output
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0, r.output


def test_serve_refuses_the_development_key_on_a_reachable_address(env: dict[str, str]) -> None:
    r = runner.invoke(app, ["serve", "--host", "0.0.0.0"])  # noqa: S104 - refused
    assert r.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in r.output


def test_serve_refuses_the_demo_in_production(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEWATCH_ENVIRONMENT", "production")
    production_sms_env(monkeypatch)
    monkeypatch.setenv("SAFEWATCH_SECRET_KEY", new_secret())
    get_settings.cache_clear()
    r = runner.invoke(app, ["serve", "--demo"])
    assert r.exit_code == 2
    assert "refusing --demo in production" in r.output
    monkeypatch.setenv("SAFEWATCH_SEED_DEMO", "true")
    get_settings.cache_clear()
    r = runner.invoke(app, ["serve"])
    assert r.exit_code == 2
    assert "SAFEWATCH_SEED_DEMO" in r.output


def test_keys_secret_makes_a_secret_production_accepts(env: dict[str, str]) -> None:
    r = runner.invoke(app, ["keys", "secret"])
    assert r.exit_code == 0
    secret = r.output.strip()
    assert strong_secret(secret) and secret != runner.invoke(app, ["keys", "secret"]).output.strip()


def test_production_refuses_the_demo_region_and_its_published_password(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the attack run: 'demo seed' made the demo accounts in production, and the
    production hub served them."""
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "seed"]).exit_code == 0  # a development database
    monkeypatch.setenv("SAFEWATCH_ENVIRONMENT", "production")
    production_sms_env(monkeypatch)
    monkeypatch.setenv("SAFEWATCH_SECRET_KEY", new_secret())
    get_settings.cache_clear()
    r = runner.invoke(app, ["demo", "seed"])
    assert r.exit_code == 2 and "refusing to seed the demo region in production" in r.output
    r = runner.invoke(app, ["serve"])  # it is production now: the old demo accounts stop it
    assert r.exit_code == 2 and "admin" in r.output and "published" in r.output
