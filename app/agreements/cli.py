"""Command-line commands of the agreement area: `flask --app app evidence-check`, `flask --app app pki-init`."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.agreements import pdf, queries


@click.command("evidence-check")
@click.option("--agreement", "agreement_id", type=int, default=None, help="Check one agreement only.")
@with_appcontext
def evidence_check(agreement_id: int | None) -> None:
    """Verify the hash-chained evidence of agreements; exits 1 and lists the problems if any row was altered."""
    problems = queries.evidence_problems(agreement_id)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        click.echo(f"evidence check FAILED: {len(problems)} problem(s)", err=True)
        raise SystemExit(1)
    agreements, rows = queries.evidence_counts()
    scope = f"agreement {agreement_id}" if agreement_id else f"{agreements} agreements, {rows} entries"
    click.echo(f"evidence intact ({scope})")


@click.command("pki-init")
@with_appcontext
def pki_init() -> None:
    """Create the installation PKI (root CA, TSA, university seal) and pdfsig's NSS database; idempotent."""
    from cryptography.hazmat.primitives import hashes

    made = pdf.ensure_installation_pki()
    click.echo(f"key directory: {made['key_dir']}")
    for label in ("ca", "seal", "tsa"):
        credential = made[label]
        if credential is not None:
            fingerprint = credential.certificate.fingerprint(hashes.SHA256()).hex()
            click.echo(f"{label}: {credential.certificate.subject.rfc4514_string()}  sha256={fingerprint}  "
                       f"({credential.cert_path})")
    click.echo(f"NSS database for pdfsig: {made['nss_db']}")
