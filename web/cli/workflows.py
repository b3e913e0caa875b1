"""``flask --app web workflow validate|deploy|migrate|tick|diagram``."""

from __future__ import annotations

import getpass
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import click
from flask.cli import AppGroup

from workflow import Actor
from workflow.deadlines import tick
from workflow.deploy import current_definition, deploy, deployment_problems, stored_definition
from workflow.diagram import guard_labels, to_dot, to_mermaid, to_svg
from workflow.domain.setup import Domain, load_domain
from workflow.loader import load_definitions
from workflow.migrate import migrate, plan_migration
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

from ..extensions import laurel
from .common import echo_problems, friendly_errors, shown_path


@click.group(cls=AppGroup, help="Workflow definitions and running instances.")
def workflow() -> None:
    pass


def _load(paths: tuple[Path, ...]):
    """Everything from ``paths``: a folder holding vocabulary.yaml is a definitions root
    (workflows, catalogue, covenant); other files and folders are workflow files checked
    against the configured root."""
    state = laurel.state
    roots = [p for p in paths if p.is_dir() and (p / "vocabulary.yaml").exists()]
    others = [p for p in paths if p not in roots]
    loaded = [load_domain(root, registry=state.registry) for root in roots]
    if others:
        loaded.append(load_definitions(state.registry, state.definitions_root, others))
    elif not paths:
        loaded.append(load_domain(state.definitions_root, registry=state.registry))
    return loaded


@workflow.command("validate", help="Check workflow definitions (default: the definitions folder). "
                                   "Exit 0 when all are valid, 1 with the list of problems otherwise.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@friendly_errors
def validate(paths: tuple[Path, ...]) -> None:
    loaded = _load(paths)
    problems = [p for d in loaded for p in d.problems]
    specs = [s for d in loaded for s in (d.definitions if isinstance(d, Domain) else d).workflows.values()]
    if not problems and laurel.state.database_exists():
        with laurel.state.sessions() as session:
            problems += deployment_problems(session, specs)
    count = echo_problems(problems)
    if count:
        files = len({p.path for p in problems})
        click.echo(f"{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}.", err=True)
        raise SystemExit(1)
    click.echo(f"Valid: {len(specs)} workflow definition{'s' * (len(specs) != 1)} — "
               + ", ".join(f"{s.id} v{s.version}" for s in specs))


@workflow.command("deploy", help="Store new definition versions; new instances start on them.")
@friendly_errors
def deploy_command() -> None:
    state = laurel.state
    definitions = load_definitions(state.registry, state.definitions_root)  # the files as they are now
    if echo_problems(definitions.problems):
        raise click.ClickException("definitions have problems (listed above); nothing deployed")
    with laurel.state.write_sessions.begin() as session:
        for result in deploy(session, definitions.workflows.values(), utcnow()):
            click.echo(str(result))


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise click.BadParameter(f"'{pair}' is not OLD=NEW", param_hint="--map")
        mapping[old.strip()] = new.strip()
    return mapping


@workflow.command("migrate", help="Move running instances of workflow ID to another deployed version.")
@click.argument("workflow_id")
@click.option("--to", "to_version", type=int, required=True, help="Target version.")
@click.option("--from", "from_version", type=int, help="Only instances on this version.")
@click.option("--map", "pairs", multiple=True, metavar="OLD=NEW", help="State OLD becomes NEW (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would move; change nothing.")
@friendly_errors
def migrate_command(workflow_id: str, to_version: int, from_version: int | None, pairs: tuple[str, ...],
                    dry_run: bool) -> None:
    actor = Actor(id=f"cli:{getpass.getuser()}", roles=frozenset({"admin"}))
    with laurel.state.write_sessions.begin() as session:
        plan = plan_migration(session, laurel.state.engine, workflow_id, to_version, _mapping(pairs), from_version)
        if plan.ok and not dry_run:
            migrate(session, laurel.state.engine, plan, actor, utcnow())
    if not plan.ok:
        click.echo(f"Refused: {len(plan.refused)} instance(s) have no state to go to in version {to_version}; "
                   "nothing was moved. Add --map OLD=NEW for:", err=True)
        for move in plan.refused:
            click.echo(f"  {move}", err=True)
        raise SystemExit(1)
    for move in plan.moves:
        click.echo(str(move))
    verb = "would move" if dry_run else "moved"
    click.echo(f"{len(plan.moves)} instance(s) {verb} to {workflow_id} v{to_version}.")


@workflow.command("tick", help="Act on every passed deadline (fire the expiry trigger or record a reminder). "
                               "Safe to run often, twice, or concurrently.")
@click.option("--now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              help="Pretend it is this UTC time (for catching up or testing).")
@friendly_errors
def tick_command(now: datetime | None) -> None:
    moment = now.replace(tzinfo=timezone.utc) if now else utcnow()
    counts: Counter[str] = Counter()
    for handled in tick(laurel.state.write_sessions, laurel.state.engine, moment):
        counts[handled.outcome] += 1
        click.echo(str(handled))
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing overdue"
    click.echo(f"Tick at {moment:%Y-%m-%d %H:%M:%S} UTC: {summary}.")


@workflow.command("diagram", help="Draw workflow ID (SVG through Graphviz, DOT or Mermaid).")
@click.argument("workflow_id")
@click.option("--format", "fmt", type=click.Choice(["svg", "dot", "mermaid"]), default="svg", show_default=True)
@click.option("--instance", "instance_id", type=int, help="Highlight this instance's current state.")
@click.option("--version", type=int, help="Version to draw (default: the instance's, or the current one).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@friendly_errors
def diagram(workflow_id: str, fmt: str, instance_id: int | None, version: int | None, lang: str,
            output: Path | None) -> None:
    state = laurel.state
    current = None
    with state.sessions() as session:
        if instance_id is not None:
            instance = session.get(WorkflowInstance, instance_id)
            if instance is None or instance.workflow_id != workflow_id:
                raise click.ClickException(f"no instance {instance_id} of workflow '{workflow_id}'")
            current, version = instance.state, version or instance.workflow_version
        row = stored_definition(session, workflow_id, version) if version else None
        if row is None and state.database_exists():
            row = current_definition(session, workflow_id)
        if row is not None:
            spec = state.engine.runtime(session, workflow_id, row.version, row.hash)[0]
        elif workflow_id in state.definitions.workflows:
            spec = state.definitions.workflows[workflow_id]
        else:
            raise click.ClickException(f"no workflow '{workflow_id}'")
    vocabulary, guards = state.engine.vocabulary, guard_labels(state.registry)
    if fmt == "svg":
        data = to_svg(spec, vocabulary, current, lang, guards)
    else:
        data = (to_dot if fmt == "dot" else to_mermaid)(spec, vocabulary, current, lang, guards).encode("utf-8")
    if output:
        output.write_bytes(data)
        click.echo(f"Wrote {shown_path(str(output))}", err=True)
    else:
        click.echo(data, nl=False)
