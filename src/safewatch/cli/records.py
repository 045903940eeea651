"""The record keeping commands: evidence packages, the data keys, the audit chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from safewatch.cli.common import settings_or_exit
from safewatch.models import Case
from safewatch.store.db import make_engine, make_session_factory, transaction

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
evidence_app = typer.Typer(help="Incident evidence packages: export, verify.", no_args_is_help=True)
keys_app = typer.Typer(
    help="The data keys that seal face photos and templates.", no_args_is_help=True
)


@evidence_app.command("export")
def evidence_export(
    reference: Annotated[str, typer.Argument(help="The incident's reference (INC-…).")],
    reason: Annotated[str, typer.Option(help="Why it is exported (audited).")],
    out: Annotated[Path, typer.Option(help="The zip to write.")] = Path("."),
    originals: Annotated[
        bool, typer.Option(help="With the unblurred snapshots and clips (for the police).")
    ] = False,
) -> None:
    """An incident's evidence package, from the command line (audited as the system)."""
    from datetime import UTC, datetime

    from safewatch.models import Incident
    from safewatch.services import evidence
    from safewatch.services.context import system_record
    from safewatch.store import signing
    from safewatch.store.clips import make_clip_store
    from safewatch.store.sealing import key_ring_for

    settings = settings_or_exit()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        incident = session.scalar(select(Incident).where(Incident.reference == reference))
        if incident is None:
            typer.secho(f"no incident {reference}", fg="red", err=True)
            raise typer.Exit(1)
        case = session.get(Case, incident.case_id)
        assert case is not None
        package = evidence.build(
            session,
            make_clip_store(settings),
            signing.load_or_create(settings.evidence_key_file),
            incident,
            case,
            "command line",
            reason,
            datetime.now(UTC),
            key_ring_for(settings, create=False) if originals else None,
        )
        system_record(
            session,
            "export",
            "incident",
            incident.id,
            f"evidence exported{' with unblurred originals' if originals else ''} "
            f"(manifest sha256 {package.manifest_sha256}): {reason}"[:300],
        )
    target = out / package.name if out.is_dir() else out
    target.write_bytes(package.data)
    typer.echo(f"{target}: manifest sha256 {package.manifest_sha256}")


@evidence_app.command("verify")
def evidence_verify(
    package: Path,
    public_key: Annotated[
        Path | None,
        typer.Option(help="The hub's public key (PEM) the package must be signed with."),
    ] = None,
) -> None:
    """Check an evidence package: every file against the signed manifest. Exits 1 and names
    each file changed, added or removed."""
    from safewatch.services import evidence
    from safewatch.store import signing

    trusted = signing.load_public(public_key.read_bytes()) if public_key else None
    result = evidence.verify(package, trusted)
    if result.ok:
        typer.echo(
            f"evidence intact: incident {result.incident}, {result.files} files, signed by key "
            f"{result.signed_by}, manifest sha256 {result.manifest_sha256}"
        )
        if trusted is None:
            typer.echo("(give --public-key to require the hub's own key)")
        return
    typer.secho(f"evidence NOT intact ({package}):", fg="red", err=True)
    for problem in result.problems:
        typer.secho(f"  {problem}", fg="red", err=True)
    raise typer.Exit(1)


@evidence_app.command("public-key")
def evidence_public_key() -> None:
    """The hub's evidence public key (PEM), to hand to whoever checks packages."""
    from safewatch.store import signing

    key = signing.load_or_create(settings_or_exit().evidence_key_file).public_key()
    typer.echo(signing.public_pem(key), nl=False)
    typer.secho(f"fingerprint {signing.fingerprint(key)}", err=True)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """A new data key: every face photo and template sealed again with it, the old keys dropped.
    A backup made before needs the old key file: keep that with the backup."""
    from safewatch.services import keys

    settings = settings_or_exit()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    try:
        done = keys.rotate(settings, factory)
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    retired = ", ".join(done.retired) or "none"
    typer.echo(f"data key {done.new_key} seals from now on; {done.files} files sealed again")
    typer.echo(f"retired: {retired}")


@keys_app.command("secret")
def keys_secret() -> None:
    """A new SAFEWATCH_SECRET_KEY (48 random bytes): it signs sign-ins' media links, so it
    must be secret and the same on every hub replica."""
    from safewatch.core.config import new_secret

    typer.echo(new_secret())


@keys_app.command("status")
def keys_status() -> None:
    """The key ring and how many files each key sealed (plain: written before sealing)."""
    from collections import Counter

    from safewatch.store.sealing import is_sealed, key_id_of, key_ring_for

    settings = settings_or_exit()
    try:
        ring = key_ring_for(settings, create=False)
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    count: Counter[str] = Counter()
    for folder in (settings.photo_dir, settings.template_dir):
        for path in folder.glob("[!.]*") if folder.is_dir() else []:
            blob = path.read_bytes()
            count[key_id_of(blob) if is_sealed(blob) else "plain"] += 1
    for key_id in ring.keys:
        mark = " (current)" if key_id == ring.current else ""
        typer.echo(f"{key_id}{mark}: {count.pop(key_id, 0)} files")
    for other, n in sorted(count.items()):
        typer.echo(f"{other}: {n} files" + (" (not on the ring!)" if other != "plain" else ""))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exits 1 and names the entries if any were edited or removed."""
    from safewatch.store import audit

    settings = settings_or_exit()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with factory() as session:
        report = audit.verify(session)
    if report.ok:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    typer.secho(f"audit chain BROKEN ({report.entries} entries read):", fg="red", err=True)
    for problem in report.problems:
        typer.secho(f"  - {problem}", fg="red", err=True)
    raise typer.Exit(1)
