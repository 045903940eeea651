"""The ``safewatch`` command: one group of commands per module of this package, and the
camera worker's, the face tools' and the benchmarks' own commands."""

from __future__ import annotations

import typer

from safewatch.cli.demo import cluster_demo, demo_app
from safewatch.cli.hub import db_app, purge, serve, user_app
from safewatch.cli.records import audit_app, evidence_app, keys_app
from safewatch.demo.bench_camera_commands import bench_camera_command, bench_chain_command
from safewatch.demo.bench_commands import bench_alerts_command, bench_cluster_command
from safewatch.vision.commands import analyze_command, camera_app, site_app
from safewatch.vision.faces.commands import eval_app, faces_app

app = typer.Typer(help="Safewatch: protection of crime victims.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
bench_app.command("camera")(bench_camera_command)
bench_app.command("chain")(bench_chain_command)
bench_app.command("alerts")(bench_alerts_command)
bench_app.command("cluster")(bench_cluster_command)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(evidence_app, name="evidence")
app.add_typer(demo_app, name="demo")
app.add_typer(camera_app, name="camera")
app.add_typer(site_app, name="site")
app.add_typer(bench_app, name="bench")
app.command("analyze")(analyze_command)
app.add_typer(eval_app, name="eval")
app.add_typer(faces_app, name="faces")
app.command()(purge)
app.command("cluster-demo")(cluster_demo)
app.command()(serve)
