"""``flask --app web keys init`` makes the local test CA; ``flask --app web decision verify
FILE.pdf`` tells, offline, whether a file is exactly an issued decision and whether its
signatures are valid (exit 0 only when both hold and the decision has not been revoked)."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives import hashes
from flask.cli import AppGroup

from workflow.documents.keys import Keys
from workflow.documents.verification import Verification, verify_pdf
from workflow.domain.decisions import revoked_by
from workflow.domain.models import Decision

from ..extensions import laurel
from .common import friendly_errors, shown_path

__all__ = ["keys", "decision"]


@click.group(cls=AppGroup, help="Signing keys (the local test CA; signers.yaml for real keys).")
def keys() -> None:
    pass


@keys.command("init", help="Make the local test CA unless it exists (run once at set-up).")
@friendly_errors
def init_command() -> None:
    folder = laurel.state.keys_folder
    certificate = Keys(folder).init()
    click.echo(f"Test CA ready in {shown_path(str(folder))}: {certificate.subject.rfc4514_string()}")
    click.echo(f"  SHA-256 fingerprint {certificate.fingerprint(hashes.SHA256()).hex(':')}")
    click.echo("  Signatures from it prove integrity only; configure real keys in signers.yaml there.")


@click.group(cls=AppGroup, help="Issued decisions.")
def decision() -> None:
    pass


@decision.command("verify", help="Is FILE exactly an issued decision, and are its signatures valid?")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def verify_command(file: Path) -> None:
    with laurel.state.sessions() as session:
        result = verify_pdf(session, file.read_bytes(), Keys(laurel.state.keys_folder).trust_roots())
        revoked = _report_issue(session, result)
    _report_signatures(result)
    if not result.genuine or revoked:
        raise SystemExit(1)
    click.echo("GENUINE: an issued decision, in force, signature valid.")


def _report_issue(session, result: Verification) -> bool:
    """Says what the file is; whether it is a decision since revoked."""
    click.echo(f"SHA-256 {result.sha256} ({result.size} bytes)")
    if result.document is None:
        click.echo("NOT an issued decision: no decision issued here has exactly these bytes.")
        return False
    issued = session.get(Decision, result.document.decision_id)
    click.echo(f"Issued decision {issued.number} of {issued.issued_on:%d/%m/%Y}: {issued.title}")
    revoking = revoked_by(session, issued.id)
    if revoking is not None:
        click.echo(f"REVOKED by decision {revoking.number} of {revoking.issued_on:%d/%m/%Y}")
    return revoking is not None


def _report_signatures(result: Verification) -> None:
    if result.unreadable:
        click.echo(f"Cannot read the file: {result.unreadable}")
        return
    if not result.signatures:
        click.echo("No digital signature in the file.")
    for s in result.signatures:
        verdict = "VALID" if s.ok else "INVALID"
        problems = [text for ok, text in ((s.intact, "content changed after signing"),
                                          (s.valid, "signature does not match"),
                                          (s.trusted, "certificate not from a trusted CA"),
                                          (s.whole_file, "the file was changed after signing")) if not ok]
        when = f", signed {s.signed_at.isoformat()}" if s.signed_at else ""
        click.echo(f"Signature {verdict}: {s.signer} ({s.organisation}){when}"
                   + (f" — {'; '.join(problems)}" if problems else ""))
