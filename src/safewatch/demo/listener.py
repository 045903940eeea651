"""A screen on the real-time stream, as a thread: a simulated phone or console that records
when each notice arrived (for the chain demo, the alert benchmark and tests)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Received:
    at: float  # time.time() on arrival
    kind: str
    data: dict[str, Any]


class StreamListener:
    def __init__(
        self, base_url: str, token: str, name: str = "listener", reconnect: bool = False
    ) -> None:
        """``reconnect``: as a phone does, open the stream again whenever it ends (the hub
        restarting, the link cut); the hub then sends the open incidents first."""
        self.base_url, self.token, self.name = base_url, token, name
        self.reconnect = reconnect
        self.connections = 0
        self.received: list[Received] = []
        self.connected = threading.Event()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{name}", daemon=True)
        self.error: str | None = None

    def start(self, timeout: float = 10) -> StreamListener:
        self._thread.start()
        if not self.connected.wait(timeout):
            raise RuntimeError(f"{self.name}: the stream did not open ({self.error})")
        return self

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._listen()
            if not self.reconnect or self._stop.wait(0.5):
                return

    def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with (
                httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(5, read=None)) as http,
                http.stream("GET", "/api/v1/stream", headers=headers) as response,
            ):
                response.raise_for_status()
                kind = ""
                for line in response.iter_lines():
                    if line.startswith("retry:"):
                        self.connections += 1
                        self.connected.set()
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        item = Received(time.time(), kind, json.loads(line[6:]))
                        with self._changed:
                            self.received.append(item)
                            self._changed.notify_all()
                    if self._stop.is_set():
                        return
        except httpx.HTTPError as exc:
            self.error = str(exc)

    def wait_for(
        self, match: Callable[[Received], bool], timeout: float, after: int = 0
    ) -> Received | None:
        """The first notice (from index ``after``) that matches, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for item in self.received[after:]:
                    if match(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
