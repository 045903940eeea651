"""``safewatch bench alerts`` and ``safewatch bench cluster`` (registered by the CLI package)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from safewatch.demo.bench_count import DEFAULT_DEADLINE_S, DEFAULT_LATE_AFTER_MS, DEFAULT_VIDEO

Clients = Annotated[int, typer.Option(help="Phones connected to the real-time stream.")]
Rate = Annotated[float, typer.Option(help="Camera events per second.")]
Seconds = Annotated[float, typer.Option(help="How long events are raised.")]
Cases = Annotated[int, typer.Option(help="Protected persons (each with a camera).")]
Workers = Annotated[
    int, typer.Option(help="Camera workers the cameras are split among (each batches).")
]
JsonOut = Annotated[bool, typer.Option("--json", help="The figures as JSON.")]
Cameras = Annotated[int, typer.Option(help="Cameras raising events (0: one per case).")]
Deadline = Annotated[
    float,
    typer.Option(
        help="Seconds after the last event raised to wait for every accepted event's alert; "
        "an alert not on a phone by then is counted lost."
    ),
]
LateAfter = Annotated[
    float,
    typer.Option("--late-ms", help="Trigger → phone bound: an alert later than this is late."),
]
Video = Annotated[
    Path, typer.Option(help="Every event's snapshot is one frame of this video, as JPEG.")
]
Snapshot = Annotated[
    bool, typer.Option(help="Events carry the snapshot (--no-snapshot: none, for A/B).")
]
NatsServer = Annotated[
    str | None,
    typer.Option(help="Cluster mode starts its own nats-server (this binary; default: PATH)."),
]
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"  # this machine's


def _print(result: dict[str, object], json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        typer.echo(f"{key}: {value}")


def bench_alerts_command(
    clients: Clients = 200,
    rate: Rate = 20.0,
    seconds: Seconds = 10.0,
    cases: Cases = 20,
    sos: Annotated[int, typer.Option(help="SOS presses timed after the events.")] = 50,
    workers: Workers = 10,
    replicas: Annotated[int, typer.Option(help="Hub replicas (cluster mode only).")] = 1,
    postgres: Annotated[
        str | None,
        typer.Option(help="Cluster mode: a PostgreSQL server (a fresh database on it)."),
    ] = None,
    cameras: Cameras = 0,
    deadline: Deadline = DEFAULT_DEADLINE_S,
    late_ms: LateAfter = DEFAULT_LATE_AFTER_MS,
    video: Video = DEFAULT_VIDEO,
    snapshot: Snapshot = True,
    nats_server: NatsServer = None,
    json_out: JsonOut = False,
) -> None:
    """Trigger → phone and hub-hop latency (p50/p99), events/s, alerts on time, late and lost,
    and SOS → security console and 112 webhook, through real hub processes (embedded by
    default; cluster mode with --postgres, on a nats-server of the run's own)."""
    from safewatch.demo.bench_alerts import NATS_SERVER, bench_alerts

    result = bench_alerts(
        clients, rate, seconds, cases, sos, workers, replicas, postgres, cameras,
        deadline_s=deadline, late_after_ms=late_ms, video=video if snapshot else None,
        nats_server=nats_server or NATS_SERVER,
    )  # fmt: skip
    _print(result.as_dict(), json_out)


def bench_cluster_command(
    clients: Clients = 2000,
    rate: Rate = 1000.0,
    seconds: Seconds = 15.0,
    cases: Annotated[int, typer.Option(help="Protected persons, each with a phone.")] = 2000,
    cameras: Cameras = 200,
    replicas: Annotated[int, typer.Option(help="Hub replicas.")] = 2,
    postgres: Annotated[str, typer.Option(help="PostgreSQL server.")] = PG_SERVER,
    deadline: Deadline = DEFAULT_DEADLINE_S,
    late_ms: LateAfter = DEFAULT_LATE_AFTER_MS,
    video: Video = DEFAULT_VIDEO,
    snapshot: Snapshot = True,
    nats_server: NatsServer = None,
    json_out: JsonOut = False,
) -> None:
    """200 cameras' events and 2,000 phones (one per person) on the embedded hub (one
    process, SQLite, cameras over HTTP) and on a cluster (replicas on PostgreSQL, alerts
    over NATS, cameras to JetStream; the run's own nats-server), in one run: both figures
    and their ratio."""
    from safewatch.demo.bench_alerts import NATS_SERVER, bench_alerts

    def run(replicas: int, postgres: str | None) -> dict[str, object]:
        return bench_alerts(
            clients, rate, seconds, cases, 0, 10, replicas, postgres, cameras,
            deadline_s=deadline, late_after_ms=late_ms, video=video if snapshot else None,
            nats_server=nats_server or NATS_SERVER,
        ).as_dict()  # fmt: skip

    plain = run(1, None)
    clustered = run(replicas, postgres)

    def ratio(key: str) -> float | None:
        a, b = plain[key], clustered[key]
        return (
            round(b / a, 2)
            if isinstance(a, int | float) and isinstance(b, int | float) and a
            else None
        )

    _print(
        {
            "embedded": plain,
            "cluster": clustered,
            "cluster_over_embedded": {
                "alerts_per_s": ratio("alerts_per_s"),
                "hub_cpu_s_per_event": ratio("hub_cpu_s_per_event"),
            },
        },
        json_out,
    )
