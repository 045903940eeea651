"""What ``safewatch bench alerts`` counts, and how it reports it.

Every event a camera raised ends in exactly one of these: not accepted by the hub (refused,
or still waiting in the camera worker when the run stopped), or accepted and then alerted on
a phone within the latency bound (on time), alerted later than that (late), or never alerted
by the run's deadline (lost). The run waits for every accepted event's alert until the
deadline; nothing is counted as delivered that the phones did not show."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

DEFAULT_VIDEO = Path("var/testdata/vtest.avi")  # each event's snapshot: one frame of it
DEFAULT_DEADLINE_S = 30.0  # after the last event raised: how long the run waits for alerts
DEFAULT_LATE_AFTER_MS = 500.0  # the trigger → phone p99 target: later than this is late


class AlertOutcome(StrEnum):
    on_time = "on_time"  # on a phone within the latency bound
    late = "late"  # on a phone, later than the bound, before the deadline
    lost = "lost"  # accepted, never on a phone by the deadline


class AlertTally(BaseModel):
    """The accepted events' fate; ``on_time + late + lost == accepted``."""

    model_config = ConfigDict(frozen=True)

    raised: int
    accepted: int
    not_accepted: int  # refused by the hub, or still waiting at the camera when the run stopped
    on_time: int
    late: int
    lost: int
    alerted_not_accepted: int  # shown on a phone although the camera saw no acceptance
    late_after_ms: float
    deadline_s: float
    waited_s: float  # after the last event raised, until all were alerted or the deadline

    @model_validator(mode="after")
    def _adds_up(self) -> AlertTally:
        if self.on_time + self.late + self.lost != self.accepted:
            raise ValueError("on time + late + lost must be the accepted events")
        if self.accepted + self.not_accepted != self.raised:
            raise ValueError("accepted + not accepted must be the events raised")
        return self


class StreamState(BaseModel):
    """Cluster mode: the bench's own JetStream stream (its own nats-server, removed after)."""

    model_config = ConfigDict(frozen=True)

    messages_at_start: int  # on the stream before the first event: 0 (nothing left over)
    messages_left_at_end: int  # on the stream when counting stopped (removed with the server)
    unacknowledged_at_end: int  # taken by a replica, not yet acknowledged


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


@dataclass
class AlertBench:
    clients: int
    cases: int
    rate: float
    seconds: float
    workers: int = 10
    replicas: int = 1
    cameras: int = 0  # the cameras that raise events (the first cases'); 0: every case's
    transport: str = "http"  # how cameras send: http (to a hub) or jetstream (cluster mode)
    database: str = "sqlite"
    deadline_s: float = DEFAULT_DEADLINE_S
    late_after_ms: float = DEFAULT_LATE_AFTER_MS
    snapshot_bytes: int = 0  # the JPEG every event carries (0: none)
    sent: int = 0
    requests: int = 0
    console_alerts: int = 0
    started: float = 0.0  # monotonic: the first event raised
    started_wall: float = 0.0
    ended: float = 0.0  # monotonic: counting stopped (all alerted, or the deadline)
    last_accepted: float = 0.0  # monotonic: the hub's answer to the last accepted event
    accepted_in_window: int = 0  # answered while events were still being raised
    accepted_seqs: set[int] = field(default_factory=set)
    raised_at: dict[int, float] = field(default_factory=dict)  # seq → wall time raised
    alerted_ms: dict[int, float] = field(default_factory=dict)  # seq → trigger → first phone
    # trigger → phone (ms) by the second the event was raised in: a hub that keeps up has
    # the same latency at the end as at the start; one that falls behind, a growing one
    by_second: dict[int, list[float]] = field(default_factory=dict)
    last_received_wall: float = 0.0
    trigger_ms: list[float] = field(default_factory=list)
    hop_ms: list[float] = field(default_factory=list)  # durable (published) → phone
    open_ms: list[float] = field(default_factory=list)  # the incident's opening → phone
    send_errors: int = 0
    hub_refusals: int = 0  # "refused" lines in the hubs' logs (e.g. unknown credential)
    hub_refusal_example: str = ""
    stream: StreamState | None = None
    hub_cpu_s: float = 0.0  # the hub processes from the first event until counting stopped
    client_cpu_s: float = 0.0  # this process (cameras and phones), the same window
    servers_cpu_s: float = 0.0  # PostgreSQL and the bench's nats-server, the same window
    sos_console_ms: list[float] = field(default_factory=list)
    sos_webhook_ms: list[float] = field(default_factory=list)

    @property
    def deadline(self) -> float:
        """Monotonic: when the run stops waiting (the raising window, then ``deadline_s``)."""
        return self.started + self.seconds + self.deadline_s

    def accept(self, seqs: list[int]) -> None:
        if seqs:
            self.accepted_seqs.update(seqs)
            self.last_accepted = time.monotonic()
            if self.last_accepted - self.started <= self.seconds:
                self.accepted_in_window += len(seqs)

    def alerted(self, seq: int, now: float, published_at: float, opened_at: float) -> None:
        """A phone showed event ``seq``'s alert at ``now`` (wall clock); the first phone of
        the person counts."""
        start = self.raised_at.get(seq)
        if start is None or seq in self.alerted_ms:
            return
        ms = (now - start) * 1000
        self.alerted_ms[seq] = ms
        self.last_received_wall = now
        self.trigger_ms.append(ms)
        self.by_second.setdefault(int(start - self.started_wall), []).append(ms)
        self.open_ms.append((now - opened_at) * 1000)
        self.hop_ms.append((now - published_at) * 1000)

    def all_alerted(self) -> bool:
        return all(seq in self.alerted_ms for seq in self.accepted_seqs)

    def tally(self) -> AlertTally:
        on_time = late = lost = 0
        for seq in self.accepted_seqs:
            ms = self.alerted_ms.get(seq)
            if ms is None:
                lost += 1
            elif ms <= self.late_after_ms:
                on_time += 1
            else:
                late += 1
        accepted = len(self.accepted_seqs)
        return AlertTally(
            raised=self.sent,
            accepted=accepted,
            not_accepted=self.sent - accepted,
            on_time=on_time,
            late=late,
            lost=lost,
            alerted_not_accepted=len(self.alerted_ms.keys() - self.accepted_seqs),
            late_after_ms=self.late_after_ms,
            deadline_s=self.deadline_s,
            waited_s=round(max(0.0, self.ended - self.started - self.seconds), 2),
        )

    def as_dict(self) -> dict[str, Any]:
        tally = self.tally()
        accepted = tally.accepted
        window = max(self.ended - self.started, self.seconds)
        received = len(self.alerted_ms)
        return {
            "replicas": self.replicas,
            "database": self.database,
            "camera_transport": self.transport,
            "clients": self.clients,
            "cases": self.cases,
            "cameras": self.cameras or self.cases,
            "target_events_per_s": self.rate,
            "camera_workers": self.workers,
            "snapshot_bytes": self.snapshot_bytes,
            "requests": self.requests,
            "events_per_request": round(self.sent / max(self.requests, 1), 2),
            "seconds": self.seconds,
            "events_sent": self.sent,
            "events_accepted": accepted,
            "send_errors": self.send_errors,
            "alerts": tally.model_dump(),
            "hub_refusals": self.hub_refusals,
            "hub_refusal_example": self.hub_refusal_example or None,
            "stream": self.stream.model_dump() if self.stream else None,
            # Over the time it took the hub to accept them all, not the time they were raised.
            "accepted_per_s": round(
                accepted / max(self.last_accepted - self.started, self.seconds), 1
            ),
            "accepted_per_s_while_raised": round(self.accepted_in_window / self.seconds, 1),
            "trigger_to_phone_p50_ms_by_second": {
                k: pct(v, 0.5) for k, v in sorted(self.by_second.items())
            },
            "drained_s_after_last_event": round(
                max(0.0, self.last_accepted - self.started - self.seconds), 2
            ),
            "alerts_received": received,
            # Alerts on the phones per second, from the first event raised to the last alert
            # shown: what the hubs delivered, whichever way the cameras sent.
            "alerts_per_s": round(
                received / max(self.last_received_wall - self.started_wall, self.seconds), 1
            ),
            "security_console_alerts": self.console_alerts,
            "trigger_to_phone_ms": {
                "p50": pct(self.trigger_ms, 0.5),
                "p99": pct(self.trigger_ms, 0.99),
                "max": round(max(self.trigger_ms), 2) if self.trigger_ms else None,
                "mean": round(statistics.fmean(self.trigger_ms), 2) if self.trigger_ms else None,
            },
            "hub_hop_ms": {"p50": pct(self.hop_ms, 0.5), "p99": pct(self.hop_ms, 0.99)},
            "opening_to_phone_ms": {
                "p50": pct(self.open_ms, 0.5),
                "p99": pct(self.open_ms, 0.99),
            },
            "sos_presses": len(self.sos_console_ms),
            "sos_to_console_ms": {
                "p50": pct(self.sos_console_ms, 0.5),
                "p99": pct(self.sos_console_ms, 0.99),
            },
            "sos_to_112_webhook_ms": {
                "p50": pct(self.sos_webhook_ms, 0.5),
                "p99": pct(self.sos_webhook_ms, 0.99),
            },
            # CPU over the counted window: the first event raised → every alert shown (or
            # the deadline), not a fixed tail of idle seconds.
            "cpu_window_s": round(window, 2),
            "hub_cpu_s_per_event": round(self.hub_cpu_s / max(accepted, 1), 4),
            "hub_cpu_share_of_one_core": round(self.hub_cpu_s / window, 2),
            # The simulated cameras and phones share the machine's two cores with the hub.
            "clients_cpu_share_of_one_core": round(self.client_cpu_s / window, 2),
            # Cluster mode's database and broker (on this machine too; zero when embedded).
            "servers_cpu_s_per_event": round(self.servers_cpu_s / max(accepted, 1), 4),
            "servers_cpu_share_of_one_core": round(self.servers_cpu_s / window, 2),
        }
