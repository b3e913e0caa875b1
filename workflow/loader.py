"""Loading ``definitions/``: the vocabulary, the working calendar and the workflow files.

Every problem in every file is collected and returned (``path:line: message``); nothing
raises on bad input. Layout of a definitions folder::

    definitions/vocabulary.yaml    roles, subject kinds, dossier documents
    definitions/calendar.yaml      time zone, weekend, holidays
    definitions/workflows/*.yaml   one workflow per file
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .actor import SYSTEM_ROLE
from .definition import WorkflowSpec
from .registry import Registry
from .schema import CalendarSchema, Strict, VocabularySchema, WorkflowSchema, parse
from .validation import WorkflowView, check_workflow
from .workdays import WorkingCalendar
from .yamlsource import Problem, load_yaml, read_text

__all__ = ["Definitions", "load_definitions", "load_workflow", "load_model", "workflow_files",
           "DEFAULT_ROOT"]

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "definitions"
M = TypeVar("M", bound=Strict)


@dataclass
class Definitions:
    """Everything loaded from a definitions folder, with the problems found on the way."""

    root: Path
    vocabulary: VocabularySchema | None = None
    calendar: WorkingCalendar | None = None
    workflows: dict[str, WorkflowSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_model(path: Path, model: type[M], text: str | None = None) -> tuple[M | None, list[Problem]]:
    """One YAML file validated against a file shape."""
    located, problems = load_yaml(path, text)
    if located is None:
        return None, problems
    value, more = parse(located, model)
    return value, problems + more


def load_workflow(path: Path | str, vocabulary: VocabularySchema, registry: Registry,
                  text: str | None = None) -> tuple[WorkflowSpec | None, list[Problem]]:
    """One workflow file (or its stored text), checked in structure and meaning."""
    if text is None:
        text, problems = read_text(path)
        if text is None:
            return None, problems
    located, problems = load_yaml(path, text)
    if located is None:
        return None, problems
    schema, more = parse(located, WorkflowSchema)
    problems += more
    if schema is None and not isinstance(located.data, dict):
        return None, problems
    view = WorkflowView.of(schema) if schema else WorkflowView.lenient(located.data)
    problems += check_workflow(located, view, vocabulary, registry)
    if problems:
        return None, problems
    return WorkflowSpec(schema=schema, path=str(path), source=text), []


def workflow_files(paths: list[Path]) -> list[Path]:
    """The workflow files named by ``paths``: files as given, folders searched for ``*.yaml``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            folder = path / "workflows" if (path / "workflows").is_dir() else path
            found += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            found.append(path)
    return found


def load_definitions(registry: Registry, root: Path = DEFAULT_ROOT,
                     paths: list[Path] | None = None) -> Definitions:
    """Loads the vocabulary and calendar from ``root`` and the workflows from ``paths``
    (default: ``root/workflows``), reporting duplicate workflow ids across files."""
    result = Definitions(root=root)
    result.vocabulary, problems = load_model(root / "vocabulary.yaml", VocabularySchema)
    result.problems += problems
    calendar, problems = load_model(root / "calendar.yaml", CalendarSchema)
    result.problems += problems
    if calendar is not None:
        try:
            result.calendar = WorkingCalendar(calendar)
        except (KeyError, ValueError) as err:  # ZoneInfoNotFoundError is a KeyError
            result.problems.append(Problem(str(root / "calendar.yaml"), 1,
                                           f"unknown time zone {calendar.timezone!r} ({err})"))
    if result.vocabulary is None:
        return result
    if SYSTEM_ROLE not in result.vocabulary.roles:
        result.problems.append(Problem(str(root / "vocabulary.yaml"), 1, f"'roles' must define "
                                       f"'{SYSTEM_ROLE}', the role of the scheduler that handles deadlines"))
    first_file: dict[str, str] = {}
    for path in workflow_files(paths if paths is not None else [root / "workflows"]):
        if not path.exists():
            result.problems.append(Problem(str(path), 0, "no such file or folder"))
            continue
        spec, problems = load_workflow(path, result.vocabulary, registry)
        result.problems += problems
        if spec is None:
            continue
        if spec.id in first_file:
            line = next((n for n, text in enumerate(spec.source.splitlines(), 1) if text.startswith("id:")), 1)
            result.problems.append(Problem(str(path), line, f"workflow id '{spec.id}' is already "
                                                         f"defined in {first_file[spec.id]}; ids must be unique"))
            continue
        first_file[spec.id] = str(path)
        result.workflows[spec.id] = spec
    return result
