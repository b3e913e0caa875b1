"""What every command shares: friendly errors, sessions, paths shown relative to here."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

import click
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from workflow import DefinitionError, WorkflowError
from workflow.yamlsource import Problem

__all__ = ["friendly_errors", "shown_path", "echo_problems"]


def friendly_errors(command: Callable) -> Callable:
    """Turns the engine's and the database's errors into one clear line (no traceback)."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DefinitionError as err:
            raise click.ClickException(str(err)) from err
        except WorkflowError as err:
            raise click.ClickException(err.en) from err
        except (ProgrammingError, OperationalError) as err:
            if isinstance(err, OperationalError) and "no such table" not in str(err.orig):
                raise click.ClickException(f"cannot use the database: {_first_line(err.orig)}") from err
            raise click.ClickException(f"the database is not ready ({_first_line(err.orig)}); "
                                       "run: flask --app web db init") from err
        except SQLAlchemyError as err:
            raise click.ClickException(f"database error: {_first_line(getattr(err, 'orig', err))}") from err
    return run


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def shown_path(path: str) -> str:
    """``path`` relative to the current folder when it lies below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def echo_problems(problems: Iterable[Problem]) -> int:
    count = 0
    for problem in sorted(problems, key=lambda p: (p.path, p.line, p.message)):
        click.echo(f"{shown_path(problem.path)}:{problem.line}: {problem.message}", err=True)
        count += 1
    return count
