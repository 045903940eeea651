"""``safewatch cluster-demo``: cluster mode on one machine. Two hub replicas on a fresh
PostgreSQL database with NATS between them, and two camera workers (the demo case's garden
and door cameras) that publish their events to JetStream, each its own process as on many
nodes. Open either replica in the browser: an alert taken by one shows on the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from safewatch.demo import camera
from safewatch.demo import seed as demo_seed
from safewatch.demo.server import wait_until_up
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction

DATABASE = "safewatch_cluster_demo"
CLI = [sys.executable, "-c", "from safewatch.cli import app; app()"]


@dataclass
class ClusterDemo:
    postgres: str  # a PostgreSQL server (libpq URL); the demo makes its own database on it
    nats_url: str
    video: Path
    folder: Path = Path("var/cluster")  # the replicas' shared data folder
    ports: tuple[int, ...] = (8001, 8002)
    database: str = DATABASE
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        base = self.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{self.database}"

    def prepare(self) -> None:
        """A fresh database, migrated and seeded with the demo region."""
        with psycopg.connect(self.postgres, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.database}"')
        self.folder.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(self.database_url)
        engine = make_engine(self.database_url)
        with transaction(make_session_factory(engine)) as session:
            demo_seed.seed(session)
        engine.dispose()

    def start(self, say: Callable[[str], None]) -> None:
        env = {
            "SAFEWATCH_DATABASE_URL": self.database_url,
            "SAFEWATCH_BUS_URL": self.nats_url,
            "SAFEWATCH_DATA_DIR": str(self.folder.resolve()),
        }
        for k, port in enumerate(self.ports):
            name = f"hub-{k + 1}"
            self._spawn(name, [*CLI, "serve", "--port", str(port)], env)
            wait_until_up(f"http://127.0.0.1:{port}", self.procs[-1][1], name)
            say(f"{name}: http://127.0.0.1:{port}  (log {self._log(name)})")
        factory = make_session_factory(make_engine(self.database_url))
        urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        cameras = [(camera.DEMO_CAMERA_SERIAL, "front"), (camera.DOOR_CAMERA_SERIAL, "door")]
        for k, (serial, name) in enumerate(cameras):
            secret = camera.issue_demo_credential(factory, serial)
            if secret is None:
                say(f"camera {name}: not installed in the demo region")
                continue
            # Clips and views go to "its" replica; events to the stream, for any replica.
            site = camera.write_site(
                self.folder / f"camera-{name}", self.video, urls[k % len(urls)], self.nats_url, name
            )
            worker = f"camera-{name}"
            run = [*CLI, "camera", "run", "--site", str(site)]
            self._spawn(worker, run, {camera.SECRET_ENV: secret})
            say(f"{worker}: {self.video.name} → JetStream (log {self._log(worker)})")

    def _log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        with self._log(name).open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - our own CLI
                cmd, env={**os.environ, **env}, stdout=log, stderr=log
            )
        self.procs.append((name, proc))

    def watch(self, say: Callable[[str], None]) -> None:
        """Until interrupted; says when a process ends."""
        running = dict(self.procs)
        while running:
            time.sleep(1.0)
            for name, proc in list(running.items()):
                if proc.poll() is not None:
                    say(f"{name} exited with {proc.returncode} (see {self._log(name)})")
                    del running[name]

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
