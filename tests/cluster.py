"""Cluster mode's moving parts for tests: a real NATS JetStream server of the test's own
(so a test may stop and restart it), and hub replicas as separate processes that a test may
kill."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from safewatch.demo.server import free_port, wait_until_up

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


class NatsServer:
    """``nats-server -js`` on a free port, its store in a folder that outlives a restart."""

    def __init__(self, store: Path) -> None:
        self.store, self.port = store, free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        _wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class HubProcess:
    """``safewatch serve`` as a replica of its own: killed with SIGKILL, it gets no chance to
    finish anything."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.cwd, self.name = env, cwd, name
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / f"{name}.log"

    def start(self) -> None:
        cmd = [sys.executable, "-c", "from safewatch.cli import app; app()", "serve"]
        cmd += ["--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
                cmd, env={**os.environ, **self.env}, cwd=self.cwd, stdout=log, stderr=log
            )
        try:
            wait_until_up(self.url, self.proc, self.name)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {self.log.read_text()[-2000:]}") from exc

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nats-server exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nats-server did not start")
