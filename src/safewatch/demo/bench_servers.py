"""The servers of a ``safewatch bench alerts`` run, each the run's own: a database (SQLite in
the bench's folder or a fresh PostgreSQL database), in cluster mode a nats-server with its
JetStream store in the bench's folder (so no stream, consumer or message outlives the run,
and the run never touches another NATS's stream), and the hub processes, their logs kept to
count what they refused."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nats
import psutil
import psycopg
from nats.js.errors import NotFoundError

from safewatch.bus import jetstream
from safewatch.demo.server import free_port, wait_until_up

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


class BenchDatabase:
    """SQLite in the bench's folder, or a fresh database on the PostgreSQL server."""

    def __init__(self, server: str | None, root: Path) -> None:
        self.server, self.name = server, f"safewatch_bench_{os.getpid()}"
        if server is None:
            self.url = f"sqlite:///{(root / 'var' / 'safewatch.db').as_posix()}"
            return
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        if self.server is not None:
            with psycopg.connect(self.server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def cpu_seconds(self) -> dict[int, float]:
        """CPU seconds so far of this database's PostgreSQL processes: its backends and the
        server's own (writer, checkpointer…), not other databases' backends."""
        if self.server is None:
            return {}
        out = {}
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            if proc.info["name"] != "postgres" or proc.info["cpu_times"] is None:
                continue
            title = " ".join(proc.info["cmdline"] or [])
            if self.name in title or "(" not in title:  # a backend names its client's address
                times = proc.info["cpu_times"]
                out[proc.pid] = float(times.user + times.system)
        return out


class BenchNats:
    """``nats-server -js`` on a free port, its store in the bench's folder: each run its own
    stream and consumer, gone with the folder."""

    def __init__(self, root: Path, binary: str = NATS_SERVER) -> None:
        self.store, self.port, self.binary = root / "nats", free_port(), binary
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not Path(self.binary).exists():
            raise FileNotFoundError(f"cluster mode starts its own nats-server: {self.binary}")
        cmd = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None

    def cpu_seconds(self) -> dict[int, float]:
        if self.proc is None:
            return {}
        times = psutil.Process(self.proc.pid).cpu_times()
        return {self.proc.pid: float(times.user + times.system)}


async def stream_counts(url: str) -> tuple[int, int]:
    """(messages on the events stream, messages a replica holds unacknowledged)."""
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        try:
            messages = (await js.stream_info(jetstream.STREAM)).state.messages
        except NotFoundError:
            return 0, 0
        try:
            info = await js.consumer_info(jetstream.STREAM, jetstream.CONSUMER)
        except NotFoundError:
            return messages, 0
        return messages, info.num_ack_pending
    finally:
        await client.close()


class Hubs:
    """``safewatch serve`` processes on one data folder, each with its log."""

    def __init__(self, root: Path, env: dict[str, str], count: int) -> None:
        self.root, self.env = root, env
        self.logs = [root / f"hub-{k + 1}.log" for k in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def start(self) -> None:
        for log_path in self.logs:
            port = free_port()
            cmd = [sys.executable, "-c", "from safewatch.cli import app; app()", "serve"]
            cmd += ["--port", str(port)]
            with log_path.open("ab") as log:
                self.procs.append(
                    subprocess.Popen(  # noqa: S603 - our own CLI
                        cmd, env=self.env, cwd=self.root, stdout=subprocess.DEVNULL, stderr=log
                    )
                )
            self.urls.append(f"http://127.0.0.1:{port}")
        for url, proc, log_path in zip(self.urls, self.procs, self.logs, strict=True):
            try:
                wait_until_up(url, proc)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {log_path.read_text()[-2000:]}") from exc

    def cpu_seconds(self) -> float:
        return sum(
            float(t.user + t.system)
            for t in (psutil.Process(p.pid).cpu_times() for p in self.procs)
        )

    def refusals(self) -> tuple[int, str]:
        """Events the hubs refused (their logs' "refused" lines) and the first such line."""
        lines = [
            line
            for log_path in self.logs
            if log_path.exists()
            for line in log_path.read_text(errors="replace").splitlines()
            if " refused" in line
        ]
        return len(lines), (lines[0][:300] if lines else "")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
