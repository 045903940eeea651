"""The hub in uvicorn on a thread: for the chain demo, the alert benchmark and tests."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import uvicorn
from fastapi import FastAPI

from safewatch.core.serving import ProxyOptions

# Open real-time streams never end by themselves: on shutdown they get this long, then are
# closed (their clients reconnect, to another replica in a cluster).
SHUTDOWN_GRACE = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(
    url: str,
    proc: subprocess.Popen[bytes] | None = None,
    name: str = "the hub",
    seconds: float = 30,
) -> None:
    """Until the hub at ``url`` answers its health check; raises if its process ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start at {url}")


class BackgroundHub:
    def __init__(
        self,
        app_factory: object,
        port: int | None = None,
        proxy: ProxyOptions = ProxyOptions(proxy_headers=False, forwarded_allow_ips=None),
    ) -> None:
        self.app_factory = app_factory  # () -> FastAPI, called at each start
        self.proxy = proxy
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: FastAPI | None = None
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.app = self.app_factory()  # type: ignore[operator]
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
            **self.proxy._asdict(),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="hub", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the hub did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(15)


class Dispatch112:
    """The 112 centre's dispatch system, standing in on loopback: records when the webhook
    packet of each incident first arrived."""

    def __init__(self) -> None:
        arrivals: dict[str, float] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrivals.setdefault(json.loads(body)["incident"]["id"], time.time())
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.arrivals = arrivals
        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/incidents"
        threading.Thread(target=self._server.serve_forever, name="112", daemon=True).start()

    def wait_for(self, incident_id: str, timeout: float) -> float | None:
        """When the incident's packet arrived, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while incident_id not in self.arrivals and time.monotonic() < deadline:
            time.sleep(0.002)
        return self.arrivals.get(incident_id)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
