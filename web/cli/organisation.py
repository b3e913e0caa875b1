"""``flask --app web org import|export``: the organisation from and to YAML, XLSX or CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from workflow.domain.orgio import (ImportRefused, apply_organisation, check_organisation, export_organisation,
                                   read_organisation)

from ..extensions import laurel
from .common import echo_problems, friendly_errors, shown_path


@click.group(cls=AppGroup, help="The organisation: bodies, councils, clusters, periods, people, users, history.")
def org() -> None:
    pass


def _refuse(problems) -> None:
    count = echo_problems(problems)
    click.echo(f"{count} problem{'s' * (count != 1)}; nothing was imported.", err=True)
    raise SystemExit(1)


def _not_stored(_password: str) -> str:
    return "(dry run: not stored)"


@org.command("import", help="Import FILE (.yaml, .xlsx, .csv, or a folder of .csv files named after their "
                            "sections), in one transaction. Exit 0 with a summary, 1 with every problem located.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count what would change; write nothing.")
@friendly_errors
def import_command(file: Path, dry_run: bool) -> None:
    state = laurel.state
    catalogue, role_names = state.catalogue, set(state.definitions.vocabulary.roles)
    data, problems = read_organisation(file)
    if data is not None:
        with state.sessions() as session:
            problems = problems + check_organisation(session, data, catalogue=catalogue, role_names=role_names)
    if data is None or problems:
        _refuse(problems)
    session = state.write_sessions()
    try:
        with click.progressbar(length=data.size, label=f"Importing {shown_path(str(file))}",
                               file=sys.stderr) as bar:
            summary = apply_organisation(session, data, catalogue=catalogue, role_names=role_names,
                                         hash_password=_not_stored if dry_run else generate_password_hash,
                                         progress=bar.update)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except ImportRefused as refused:  # the database changed since the check
        session.rollback()
        _refuse(refused.problems)
    finally:
        session.close()
    lines = summary.lines() or ["nothing to import"]
    click.echo("Dry run, nothing written; the import would give:" if dry_run else f"Imported {shown_path(str(file))}:")
    for line in lines:
        click.echo(f"  {line}")
    if not summary.changed:
        click.echo("Nothing changed: the database already holds this organisation.")
    if summary.passwords and not dry_run:
        click.echo("Passwords of the new users given none (shown only now; hand each over privately and have "
                   "it changed at first sign-in):")
        width = max(map(len, summary.passwords))
        for username, password in sorted(summary.passwords.items()):
            click.echo(f"  {username.ljust(width)}  {password}")


@org.command("export", help="Write the organisation to FILE: .yaml, .xlsx, or a folder of .csv files "
                            "(a path without suffix). Passwords are never exported.")
@click.argument("file", type=click.Path(path_type=Path))
@friendly_errors
def export_command(file: Path) -> None:
    with laurel.state.sessions() as session:
        counts = export_organisation(session, file)
    click.echo(f"Wrote {shown_path(str(file))}: " + ", ".join(f"{n} {section}" for section, n in counts.items()))
