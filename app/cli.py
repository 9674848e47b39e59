"""Command-line commands of the platform: `flask --app app <command>` (areas add theirs: app/platform/areas.py)."""
from __future__ import annotations

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("deploy")
    @click.argument("paths", nargs=-1)
    def deploy_cmd(paths: tuple[str, ...]) -> None:
        """Deploy the registered areas' BPMN folders (or the given .bpmn files) as process definitions."""
        from pathlib import Path

        from app.engine import DeployError, Source, deploy, deploy_directory

        try:
            if paths:
                found = deploy([Source(Path(p).name, Path(p).read_bytes()) for p in paths])
            else:
                found = deploy_directory()
        except DeployError as err:
            for file_name, element, problem in err.problems:
                click.echo(f"error: {file_name}{'#' + element if element else ''}: {problem}", err=True)
            raise SystemExit(1)
        for d in found:
            click.echo(f"{d.process_key} v{d.version} ({d.name})")

    @app.cli.command("demo-data")
    def demo_data_cmd() -> None:
        """Load the demo university, accounts and each area's demo data (idempotent)."""
        from app.identity.demo import DEMO_PASSWORD
        from app.platform.demo import load_demo_data

        accounts = load_demo_data()
        click.echo(f"demo accounts (password {DEMO_PASSWORD}):")
        for account in accounts:
            click.echo(f"  {account.username:<14} {','.join(account.roles):<14} {account.name}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_cmd(burst: bool) -> None:
        """Run an RQ worker for service tasks."""
        from app.worker import main

        main(["--burst"] if burst else [])

    @app.cli.command("scheduler")
    def scheduler_cmd() -> None:
        """Run the timer scheduler and outbox relay."""
        from app.scheduler import main

        main()
