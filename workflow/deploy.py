"""Deploying definition versions to the database, and reading deployed versions back.

A version, once deployed, is immutable: deploying different content under the same id and
version is refused (give it a new version number). New versions deploy alongside old ones;
running instances stay on the version they started with, whose source is kept here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .definition import WorkflowSpec
from .errors import DefinitionError
from .locks import hold
from .models import WorkflowDefinition
from .yamlsource import Problem

__all__ = ["Deployed", "deploy", "deployment_problems", "current_definition", "stored_definition"]


@dataclass(frozen=True)
class Deployed:
    workflow_id: str
    version: int
    status: str  # added | unchanged

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.version}: {self.status}"


def _version_line(spec: WorkflowSpec) -> int:
    return next((n for n, text in enumerate(spec.source.splitlines(), 1) if text.startswith("version:")), 1)


def deployment_problems(session: Session, specs: Iterable[WorkflowSpec]) -> list[Problem]:
    """Specs whose id and version are deployed already with different content."""
    problems = []
    for spec in specs:
        row = session.get(WorkflowDefinition, (spec.id, spec.version))
        if row is not None and row.hash != spec.hash:
            latest = session.scalar(select(func.max(WorkflowDefinition.version))
                                    .where(WorkflowDefinition.workflow_id == spec.id))
            problems.append(Problem(spec.path, _version_line(spec),
                                    f"workflow '{spec.id}' version {spec.version} is already deployed with "
                                    f"different content; to deploy this change, set 'version: {latest + 1}'"))
    return problems


def deploy(session: Session, specs: Iterable[WorkflowSpec], now: datetime) -> list[Deployed]:
    """Stores new versions and marks each spec's version as the one new instances start on.

    Raises ``DefinitionError`` (and writes nothing) when a deployed version's content changed.
    """
    specs = list(specs)
    hold(session, "laurel:deploy")  # two deploys at once take turns
    problems = deployment_problems(session, specs)
    if problems:
        raise DefinitionError("\n".join(str(p) for p in problems))
    results = []
    for spec in specs:
        exists = session.get(WorkflowDefinition, (spec.id, spec.version)) is not None
        if not exists:
            session.add(WorkflowDefinition(workflow_id=spec.id, version=spec.version, hash=spec.hash,
                                           source=spec.source, path=spec.path, deployed_at=now))
            session.flush()
        same_id = WorkflowDefinition.workflow_id == spec.id
        session.execute(update(WorkflowDefinition).where(same_id, WorkflowDefinition.current.is_(True))
                        .values(current=False))
        session.execute(update(WorkflowDefinition).where(same_id, WorkflowDefinition.version == spec.version)
                        .values(current=True))
        results.append(Deployed(spec.id, spec.version, "unchanged" if exists else "added"))
    return results


def current_definition(session: Session, workflow_id: str) -> WorkflowDefinition:
    """The version new instances of ``workflow_id`` start on."""
    row = session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.workflow_id == workflow_id,
                                                          WorkflowDefinition.current.is_(True)))
    if row is None:
        raise DefinitionError(f"workflow '{workflow_id}' is not deployed "
                              "(run: flask --app web workflow deploy)")
    return row


def stored_definition(session: Session, workflow_id: str, version: int) -> WorkflowDefinition:
    row = session.get(WorkflowDefinition, (workflow_id, version))
    if row is None:
        raise DefinitionError(f"workflow '{workflow_id}' version {version} is not deployed")
    return row
