"""``flask --app web demo seed``: the seed story's organisation and a season in progress."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from workflow.domain.demo import DEMO_PASSWORD, AlreadySeeded, seed

from ..extensions import laurel
from .common import friendly_errors


@click.group(cls=AppGroup, help="Demo data.")
def demo() -> None:
    pass


@demo.command("seed", help="Import the demo organisation and play a season (once; run db init and "
                           "workflow deploy first).")
@click.option("--without-season", is_flag=True,
              help="Only the organisation and the cluster's conference: no nominations, sessions or decisions.")
@friendly_errors
def seed_command(without_season: bool) -> None:
    state = laurel.state
    try:
        summary = seed(state.write_sessions, state.engine, state.domain, generate_password_hash,
                       season=not without_season)
    except AlreadySeeded:
        click.echo("The demo data is already in the database; nothing to do.")
        return
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    width = max(len(u) for u, _, _ in summary.users)
    for username, name, roles in summary.users:
        click.echo(f"  {username:<{width}}  {name:<28} {', '.join(roles)}")
    click.echo("Nominations by state: " + (", ".join(f"{state} {n}" for state, n in sorted(summary.states.items()))
                                           or "none yet"))
