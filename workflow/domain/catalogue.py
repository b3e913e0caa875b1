"""The award catalogue (``definitions/catalogue.yaml``): every title and form of commendation.

For each award: names, subject, level, the workflow it runs, the council vote (quorum,
threshold, ballot kind), prerequisites, quota, required documents, cluster review and public
posting. Every number is data from the rules in force; none is written in code. Problems are
reported like the workflows', as ``path:line: message``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ..schema import Label, Name, Strict, VocabularySchema, parse
from ..validation import unknown_name
from ..yamlsource import Located, Problem, load_yaml

__all__ = ["Catalogue", "AwardSchema", "VoteRule", "Prerequisite", "Quota", "load_catalogue"]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=32)]
Share = Annotated[float, Field(gt=0, le=1)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class VoteRule(Strict):
    """How the council decides: who must attend, what share must agree, and how it votes."""

    quorum: Share                               # share of all members who must attend
    threshold: Share                            # share that must agree …
    of: Literal["present", "all"]               # … of the members voting, or of all members
    ballot: Literal["open", "secret"]


class Prerequisite(Strict):
    """One condition on the nominee's record; exactly one kind per entry."""

    holds: Code | None = None                   # holds this award in the same period
    held: Code | None = None                    # held this award …
    consecutive_periods: Annotated[int, Field(gt=0, le=20)] | None = None  # … in each of N previous periods
    initiative: Name | None = None              # an initiative recognised at this level or higher
    no_discipline: Name | None = None           # no discipline at this level or more severe
    members_holding: Code | None = None         # collectives: members holding this award …
    share: Share | None = None                  # … at least this share of the members
    at_least: Annotated[int, Field(gt=0)] | None = None   # … or at least this many

    @model_validator(mode="after")
    def _one_kind(self) -> "Prerequisite":
        kinds = [k for k in ("holds", "held", "initiative", "no_discipline", "members_holding")
                 if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of 'holds', 'held', 'initiative', 'no_discipline' "
                             "or 'members_holding'")
        if (self.held is None) != (self.consecutive_periods is None):
            raise ValueError("'held' goes with 'consecutive_periods'")
        if self.members_holding and (self.share is None) == (self.at_least is None):
            raise ValueError("'members_holding' needs one of 'share' or 'at_least'")
        if not self.members_holding and (self.share is not None or self.at_least is not None):
            raise ValueError("'share' and 'at_least' go with 'members_holding'")
        return self


class Quota(Strict):
    """A cap on how many may be nominated per unit or per cluster in a period."""

    per: Literal["unit", "cluster"]
    max: Annotated[int, Field(gt=0)] | None = None          # an absolute cap, or …
    share: Share | None = None                              # … a share of a base:
    of: Literal["holders", "members", "units"] | None = None  # holders of an award, members, units
    award: Code | None = None                               # (for 'holders')
    minimum: Count = 0                                      # the cap is never below this

    @model_validator(mode="after")
    def _one_cap(self) -> "Quota":
        if (self.max is None) == (self.share is None):
            raise ValueError("give either 'max' or 'share' (with 'of')")
        if (self.share is None) != (self.of is None):
            raise ValueError("'share' goes with 'of'")
        if (self.of == "holders") != (self.award is not None):
            raise ValueError("'of: holders' needs 'award' (and 'award' needs 'of: holders')")
        if self.of == "units" and self.per != "cluster":
            raise ValueError("'of: units' counts the units of a cluster: use 'per: cluster'")
        return self


class AwardSchema(Strict):
    name: Label
    kind: Literal["title", "form"]
    subject: Literal["individual", "collective"]
    level: Name
    line: Name | None = None                    # one nomination per nominee, period and line
    workflow: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    vote: VoteRule
    prerequisites: list[Prerequisite] = []
    quota: Quota | None = None
    documents: list[Name] = []                  # per nominee
    submission_documents: list[Name] = []       # on the submission (tờ trình) that carries it
    cluster_review: bool = False
    acclaim_required: bool = False
    posting_days: Annotated[int, Field(gt=0, le=365)] | None = None
    appraisal_working_days: Annotated[int, Field(gt=0, le=365)] = 10

    @model_validator(mode="after")
    def _acclaim_needs_cluster(self) -> "AwardSchema":
        if self.acclaim_required and not self.cluster_review:
            raise ValueError("'acclaim_required' needs 'cluster_review: true' (the cluster acclaims)")
        return self


class CatalogueSchema(Strict):
    levels: Annotated[dict[Name, Label], Field(min_length=1)]      # lowest first
    discipline: Annotated[dict[Name, Label], Field(min_length=1)]  # mildest first
    lines: dict[Name, Label] = {}
    awards: Annotated[dict[Code, AwardSchema], Field(min_length=1)]


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The loaded catalogue, with the orderings the rules need."""

    schema: CatalogueSchema
    path: str

    @property
    def awards(self) -> dict[str, AwardSchema]:
        return self.schema.awards

    def award(self, code: str) -> AwardSchema:
        return self.schema.awards[code]

    def name_of(self, code: str) -> Label:
        """The award's name; its code for one no longer in the catalogue (issued decisions and
        minutes outlive changes to the catalogue)."""
        award = self.schema.awards.get(code)
        return award.name if award else Label(vi=code, en=code)

    def line_of(self, code: str) -> str:
        return self.schema.awards[code].line or code

    @cached_property
    def level_rank(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.schema.levels)}

    @cached_property
    def discipline_rank(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.schema.discipline)}

    def discipline_at_or_above(self, level: str) -> list[str]:
        rank = self.discipline_rank[level]
        return [name for name, r in self.discipline_rank.items() if r >= rank]

    def levels_at_or_above(self, level: str) -> list[str]:
        rank = self.level_rank[level]
        return [name for name, r in self.level_rank.items() if r >= rank]


def _check(located: Located, catalogue: CatalogueSchema, vocabulary: VocabularySchema,
           workflows: Iterable[str]) -> list[Problem]:
    problems: list[Problem] = []
    workflows = set(workflows)

    def need(loc: tuple, kind: str, name: str | None, known: Iterable[str]) -> None:
        known = set(known)
        if name is not None and name not in known:
            problems.append(located.problem(loc, unknown_name(kind, name, known)))

    for code, award in catalogue.awards.items():
        loc = ("awards", code)
        need(loc + ("level",), "level", award.level, catalogue.levels)
        need(loc + ("line",), "award line", award.line, catalogue.lines)
        need(loc + ("workflow",), "workflow", award.workflow, workflows)
        for key in ("documents", "submission_documents"):
            for i, doc in enumerate(getattr(award, key)):
                need(loc + (key, i), "document kind", doc, vocabulary.documents)
        for i, pre in enumerate(award.prerequisites):
            here = loc + ("prerequisites", i)
            for key in ("holds", "held", "members_holding"):
                need(here + (key,), "award", getattr(pre, key), catalogue.awards)
            need(here + ("initiative",), "level", pre.initiative, catalogue.levels)
            need(here + ("no_discipline",), "discipline level", pre.no_discipline, catalogue.discipline)
            if pre.members_holding and award.subject != "collective":
                problems.append(located.problem(here, "'members_holding' applies to collectives only"))
        if award.quota:
            need(loc + ("quota", "award"), "award", award.quota.award, catalogue.awards)
            if award.quota.of == "members" and award.subject != "individual":
                problems.append(located.problem(loc + ("quota",), "'of: members' caps individuals; "
                                                                  "a collective award cannot count members"))
    return problems


def load_catalogue(path: Path, vocabulary: VocabularySchema, workflows: Iterable[str]
                   ) -> tuple[Catalogue | None, list[Problem]]:
    """Loads and checks the catalogue against the vocabulary and the known workflow ids."""
    located, problems = load_yaml(path)
    if located is None:
        return None, problems
    schema, more = parse(located, CatalogueSchema)
    problems += more
    if schema is None:
        return None, problems
    problems += _check(located, schema, vocabulary, workflows)
    return (None, problems) if problems else (Catalogue(schema, str(path)), [])
