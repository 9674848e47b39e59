"""Command-line commands: `flask --app app <command>`."""
from __future__ import annotations

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("deploy")
    @click.argument("paths", nargs=-1)
    def deploy_cmd(paths: tuple[str, ...]) -> None:
        """Deploy bpmn/ (or the given .bpmn files) as process definitions."""
        from pathlib import Path

        from app.engine import DeployError, deploy, deploy_directory
        from app.engine.definitions import Source

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
        """Load the demo university, accounts and employers (idempotent)."""
        from app.services.demo import DEMO_PASSWORD, load_demo_data

        accounts = load_demo_data()
        click.echo(f"demo accounts (password {DEMO_PASSWORD}):")
        for username, name, roles in accounts:
            click.echo(f"  {username:<14} {roles:<14} {name}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_cmd(burst: bool) -> None:
        """Run an RQ worker for service tasks."""
        from app.worker import main

        main(["--burst"] if burst else [])

    @app.cli.command("evidence-check")
    @click.option("--agreement", "agreement_id", type=int, default=None, help="Check one agreement only.")
    def evidence_check_cmd(agreement_id: int | None) -> None:
        """Verify the hash-chained evidence of agreements; exits 1 and lists the problems if any row was altered."""
        from app.services import evidence
        from app.services.agreements import verify_evidence

        problems = verify_evidence(agreement_id)
        if problems:
            for problem in problems:
                click.echo(f"problem: {problem}", err=True)
            click.echo(f"evidence check FAILED: {len(problems)} problem(s)", err=True)
            raise SystemExit(1)
        agreements, rows = evidence.count()
        scope = f"agreement {agreement_id}" if agreement_id else f"{agreements} agreements, {rows} entries"
        click.echo(f"evidence intact ({scope})")

    @app.cli.command("pki-init")
    def pki_init_cmd() -> None:
        """Create the installation PKI (root CA, TSA, university seal) and pdfsig's NSS database; idempotent."""
        from cryptography.hazmat.primitives import hashes

        from app.services.agreement_documents import ensure_installation_pki

        made = ensure_installation_pki()
        click.echo(f"key directory: {made['key_dir']}")
        for label in ("ca", "seal", "tsa"):
            credential = made[label]
            if credential is not None:
                fingerprint = credential.certificate.fingerprint(hashes.SHA256()).hex()
                click.echo(f"{label}: {credential.certificate.subject.rfc4514_string()}  sha256={fingerprint}  "
                           f"({credential.cert_path})")
        click.echo(f"NSS database for pdfsig: {made['nss_db']}")

    @app.cli.command("scheduler")
    def scheduler_cmd() -> None:
        """Run the timer scheduler and outbox relay."""
        from app.scheduler import main

        main()
