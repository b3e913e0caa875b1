"""Loading everything the commendation domain runs on, from one definitions folder: the
workflows, vocabulary and calendar (the engine's), the award catalogue and the covenant
template, the wording of official documents — with every problem in every file — and building
the engine over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents.wording import WordingFile, load_wording
from ..engine import Engine
from ..loader import DEFAULT_ROOT, Definitions, load_definitions
from ..registry import Registry
from ..rules import build_registry
from ..yamlsource import Problem
from .catalogue import Catalogue, load_catalogue
from .clusters import CovenantTemplate, load_covenant_template

__all__ = ["Domain", "load_domain"]


@dataclass
class Domain:
    root: Path
    registry: Registry
    definitions: Definitions
    catalogue: Catalogue | None = None
    covenant: CovenantTemplate | None = None
    wording: WordingFile | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def build_engine(self, publisher: Any = None) -> Engine:
        """The engine, with the catalogue and the document kinds handed to the guards, and the
        ``publisher`` that makes a decision's signed PDF as it is issued (see
        ``workflow.documents.publisher``; without one, issuing a decision is refused)."""
        return Engine(self.registry, self.definitions,
                      services={"catalogue": self.catalogue, "documents": self.definitions.vocabulary.documents,
                                "covenant": self.covenant, "publisher": publisher})


def load_domain(root: Path = DEFAULT_ROOT, workflow_paths: list[Path] | None = None,
                registry: Registry | None = None) -> Domain:
    registry = registry or build_registry()
    definitions = load_definitions(registry, root, workflow_paths)
    domain = Domain(root=root, registry=registry, definitions=definitions, problems=list(definitions.problems))
    if definitions.vocabulary is not None:
        domain.catalogue, problems = load_catalogue(root / "catalogue.yaml", definitions.vocabulary,
                                                    definitions.workflows)
        domain.problems += problems
    domain.covenant, problems = load_covenant_template(root / "covenant.yaml")
    domain.problems += problems
    domain.wording, problems = load_wording(root / "documents" / "wording.yaml")
    domain.problems += problems
    return domain
