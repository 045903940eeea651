"""``safewatch bench alerts`` measures what it says: every accepted event reaches a phone, and
every SOS reaches the security console and the 112 webhook, through a real hub process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safewatch.demo.bench_alerts import bench_alerts
from tests.cluster import NATS_SERVER, NatsServer
from tests.conftest import PG_SERVER


@pytest.mark.skipif(
    os.environ.get("SAFEWATCH_TEST_DATABASE") == "postgresql",
    reason="the benchmark runs its own SQLite hub; the SQLite pass covers it",
)
def test_bench_alerts_counts_every_alert_and_sos() -> None:
    result = bench_alerts(clients=4, rate=5, seconds=1.0, cases=2, sos_presses=3).as_dict()
    assert result["events_accepted"] == result["events_sent"] > 0, result
    assert result["alerts_received"] == result["events_accepted"], result
    latency = result["trigger_to_phone_ms"]
    assert 0 < latency["p50"] <= latency["p99"] < 10_000
    assert result["sos_presses"] == 3
    assert result["sos_to_112_webhook_ms"]["p99"] is not None
    assert result["hub_cpu_s_per_event"] > 0


@pytest.mark.skipif(
    os.environ.get("SAFEWATCH_TEST_DATABASE") == "postgresql",
    reason="the benchmark runs its own SQLite hub; the SQLite pass covers it",
)
def test_a_burst_beyond_capacity_is_queued_not_refused() -> None:
    """About twice the events per second one hub process takes: the camera workers' queues
    grow and go in bigger batches, none is refused, and every alert reaches the phone."""
    result = bench_alerts(clients=20, rate=2000, seconds=2.0, cases=20, sos_presses=0).as_dict()
    assert result["send_errors"] == 0, result
    assert result["events_accepted"] == result["events_sent"] > 3000, result
    assert result["alerts_received"] == result["events_accepted"], result
    assert result["security_console_alerts"] >= result["events_accepted"], result
    assert result["events_per_request"] > 5, result


@pytest.mark.skipif(
    os.environ.get("SAFEWATCH_TEST_DATABASE") != "postgresql" or not Path(NATS_SERVER).exists(),
    reason="cluster mode (PostgreSQL + nats-server): the PostgreSQL pass covers it",
)
def test_bench_on_two_replicas_counts_every_alert_across_them(tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "jetstream")
    nats.start()
    try:
        result = bench_alerts(
            clients=6, rate=20, seconds=1.5, cases=3, sos_presses=2, replicas=2,
            postgres=PG_SERVER, nats_url=nats.url,
        ).as_dict()  # fmt: skip
    finally:
        nats.stop()
    assert (result["replicas"], result["camera_transport"]) == (2, "jetstream"), result
    assert result["events_accepted"] == result["events_sent"] > 0, result
    # Phones on both replicas: every alert reached the person's phone, wherever it was taken.
    assert result["alerts_received"] == result["events_sent"], result
    assert result["sos_to_112_webhook_ms"]["p99"] is not None
