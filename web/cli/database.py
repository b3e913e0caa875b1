"""``flask --app web db init``: create the database tables."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workflow.db import create_schema

from ..extensions import laurel
from .common import friendly_errors


@click.group(cls=AppGroup, help="Database set-up.")
def db() -> None:
    pass


@db.command("init", help="Create missing tables and the audit trail's append-only triggers.")
@friendly_errors
def init() -> None:
    create_schema(laurel.state.db)
    click.echo(f"Database ready: {laurel.state.db.url.render_as_string(hide_password=True)}")
