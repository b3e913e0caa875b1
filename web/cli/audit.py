"""``flask --app web audit verify``: check the hash chain of every instance's audit trail."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from workflow.audit import verify
from workflow.models import AuditEvent, WorkflowInstance

from ..extensions import laurel
from .common import friendly_errors


@click.group(cls=AppGroup, help="The tamper-evident audit trail.")
def audit() -> None:
    pass


@audit.command("verify", help="Exit 0 when every chain is intact; otherwise name the first broken link.")
@friendly_errors
def verify_command() -> None:
    with laurel.state.sessions() as session:
        breaks = list(verify(session))
        instances = session.scalar(select(func.count()).select_from(WorkflowInstance))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    if breaks:
        click.echo(f"Audit trail BROKEN — first broken link: {breaks[0]}", err=True)
        for more in breaks[1:]:
            click.echo(f"  also: {more}", err=True)
        raise SystemExit(1)
    click.echo(f"Audit trail intact: {instances} instances, {events} events checked.")
