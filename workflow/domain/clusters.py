"""Cluster review (cụm thi đua): the covenant, peer scoring, the acclaim vote and its result.

Early in the period the cluster records its covenant (giao ước): criteria with weights and a
scale, from ``definitions/covenant.yaml`` unless the cluster changes them. At the year-end
conference members score one another and vote for the leading unit(s); the result — ranked by
votes, ties broken by the weighted score, a tie that remains decided explicitly by the
conference — is recorded as the data of the cluster's minutes. Only acclaimed units may be
forwarded for a Flag (the ``acclaimed_by_cluster`` guard reads it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..locks import hold
from ..schema import Label, Name, Strict
from ..yamlsource import Problem
from ..loader import load_model
from .errors import DomainError, NotAllowed
from .models import (AcclaimVote, Body, Cluster, ClusterLeadership, ClusterMembership, ClusterResult, ClusterScore,
                     Covenant, RoleAssignment, User)
from .organisation import roles_for

__all__ = ["CovenantTemplate", "load_covenant_template", "elect", "sign_covenant", "record_scores",
           "cast_acclaim_vote", "compute_result", "record_result", "member_unit"]


class Criterion(Label):
    code: Name
    weight: Annotated[float, Field(gt=0, le=1000)]


class CovenantTemplate(Strict):
    """The default covenant criteria (``definitions/covenant.yaml``)."""

    scale_max: Annotated[int, Field(gt=0, le=1000)]
    leading_units: Annotated[int, Field(gt=0, le=50)] = 1
    criteria: Annotated[list[Criterion], Field(min_length=1)]


def load_covenant_template(path: Path) -> tuple[CovenantTemplate | None, list[Problem]]:
    template, problems = load_model(path, CovenantTemplate)
    if template is not None:
        codes = [c.code for c in template.criteria]
        if len(set(codes)) != len(codes):
            return None, [Problem(str(path), 1, "two criteria share a code; codes must be unique")]
    return template, problems


def _members(session: Session, cluster_id: int) -> set[int]:
    return set(session.scalars(select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == cluster_id)))


def _roles(session: Session, user: User, cluster: Cluster, period_id: int, on: date) -> frozenset[str]:
    return roles_for(session, user.id, on=on, cluster_ids=[cluster.id], council_id=cluster.council_id,
                     period_id=period_id)


def member_unit(session: Session, user: User, cluster: Cluster, on: date) -> int:
    """The member unit ``user`` speaks for in the cluster (as its head or officer)."""
    units = set(session.scalars(select(RoleAssignment.scope_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.scope_kind == "body",
        RoleAssignment.role.in_(("unit_head", "unit_officer")))))
    mine = sorted(units & _members(session, cluster.id))
    if not mine:
        raise NotAllowed(f"{user.display_name} không đại diện đơn vị nào của {cluster.name}",
                         f"{user.display_name} represents no member unit of {cluster.name}")
    return mine[0]


def _require(session: Session, user: User, cluster: Cluster, period_id: int, on: date, roles: set[str]) -> None:
    if not roles & _roles(session, user, cluster, period_id, on):
        raise NotAllowed(f"Chỉ cụm trưởng, cụm phó của {cluster.name} được làm việc này",
                         f"Only the head or deputy of {cluster.name} may do this")


def elect(session: Session, user: User, cluster: Cluster, period_id: int, *, head_body_id: int,
          deputy_body_id: int | None, on: date) -> ClusterLeadership:
    """Records the units elected cluster head and deputy for a period (by the council's
    standing office, or by the outgoing head)."""
    members = _members(session, cluster.id)
    if head_body_id not in members or (deputy_body_id is not None and deputy_body_id not in members):
        raise DomainError("Cụm trưởng, cụm phó phải là đơn vị thành viên của cụm",
                          "The head and deputy must be member units of the cluster")
    if head_body_id == deputy_body_id:
        raise DomainError("Cụm trưởng và cụm phó phải là hai đơn vị khác nhau",
                          "The head and the deputy must be different units")
    allowed = {"secretariat", "admin", "cluster_head"}
    if not allowed & _roles(session, user, cluster, period_id, on) and not allowed & roles_for(
            session, user.id, on=on, council_id=cluster.council_id):
        raise NotAllowed("Chỉ cơ quan thường trực hoặc cụm trưởng được ghi kết quả bầu",
                         "Only the standing office or the cluster head may record the election")
    leadership = session.get(ClusterLeadership, (cluster.id, period_id)) or ClusterLeadership(
        cluster_id=cluster.id, period_id=period_id, head_body_id=head_body_id)
    leadership.head_body_id, leadership.deputy_body_id = head_body_id, deputy_body_id
    session.add(leadership)
    session.flush()
    return leadership


def sign_covenant(session: Session, user: User, cluster: Cluster, period_id: int, template: CovenantTemplate, *,
                  on: date) -> Covenant:
    """The cluster head records the covenant the members signed, with the template's criteria."""
    _require(session, user, cluster, period_id, on, {"cluster_head", "cluster_deputy"})
    covenant = session.get(Covenant, (cluster.id, period_id)) or Covenant(cluster_id=cluster.id, period_id=period_id,
                                                                          criteria=[], scale_max=1)
    covenant.criteria = [c.model_dump() for c in template.criteria]
    covenant.scale_max, covenant.leading_units, covenant.signed_on = template.scale_max, template.leading_units, on
    session.add(covenant)
    session.flush()
    return covenant


def _covenant(session: Session, cluster: Cluster, period_id: int) -> Covenant:
    covenant = session.get(Covenant, (cluster.id, period_id))
    if covenant is None:
        raise DomainError(f"{cluster.name} chưa có giao ước thi đua cho kỳ này",
                          f"{cluster.name} has no covenant for this period")
    return covenant


def record_scores(session: Session, user: User, cluster: Cluster, period_id: int, *, scored_body_id: int,
                  scores: Mapping[str, float], on: date) -> None:
    """A member unit scores another member on every covenant criterion (replacing its earlier scores)."""
    covenant = _covenant(session, cluster, period_id)
    scorer = member_unit(session, user, cluster, on)
    if scored_body_id not in _members(session, cluster.id):
        raise DomainError("Chỉ chấm điểm đơn vị thành viên của cụm", "Only member units can be scored")
    if scored_body_id == scorer:
        raise NotAllowed("Đơn vị không tự chấm điểm mình", "A unit does not score itself")
    codes = [c["code"] for c in covenant.criteria]
    if set(scores) != set(codes):
        raise DomainError("Cần chấm đủ các tiêu chí: " + ", ".join(codes), "Score every criterion: " + ", ".join(codes))
    for code, value in scores.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= covenant.scale_max:
            raise DomainError(f"Điểm “{code}” phải từ 0 đến {covenant.scale_max}",
                              f"The score for “{code}” must be between 0 and {covenant.scale_max}")
    session.execute(delete(ClusterScore).where(
        ClusterScore.cluster_id == cluster.id, ClusterScore.period_id == period_id,
        ClusterScore.scorer_body_id == scorer, ClusterScore.scored_body_id == scored_body_id))
    session.add_all(ClusterScore(cluster_id=cluster.id, period_id=period_id, scorer_body_id=scorer,
                                 scored_body_id=scored_body_id, criterion=code, value=float(value))
                    for code, value in scores.items())
    session.flush()


def cast_acclaim_vote(session: Session, user: User, cluster: Cluster, period_id: int, *,
                      candidates: Iterable[int], on: date) -> None:
    """A member unit votes for the unit(s) it proposes to lead the cluster (replacing its earlier vote)."""
    covenant = _covenant(session, cluster, period_id)
    voter = member_unit(session, user, cluster, on)
    if "unit_head" not in roles_for(session, user.id, on=on, body_id=voter):
        raise NotAllowed("Thủ trưởng đơn vị bỏ phiếu suy tôn thay mặt đơn vị", "The unit head votes for the unit")
    candidates = list(dict.fromkeys(candidates))
    members = _members(session, cluster.id)
    if not candidates or len(candidates) > covenant.leading_units or not set(candidates) <= members:
        raise DomainError(f"Chọn từ 1 đến {covenant.leading_units} đơn vị thành viên",
                          f"Choose 1 to {covenant.leading_units} member units")
    if voter in candidates:
        raise NotAllowed("Đơn vị không tự suy tôn mình", "A unit does not vote for itself")
    session.execute(delete(AcclaimVote).where(AcclaimVote.cluster_id == cluster.id, AcclaimVote.period_id == period_id,
                                              AcclaimVote.voter_body_id == voter))
    session.add_all(AcclaimVote(cluster_id=cluster.id, period_id=period_id, voter_body_id=voter, candidate_body_id=c)
                    for c in candidates)
    session.flush()


def compute_result(session: Session, cluster: Cluster, period_id: int) -> dict:
    """Scores (weighted, out of 100, averaged over scorers), votes, ranking, and any tie."""
    covenant = _covenant(session, cluster, period_id)
    weights = {c["code"]: c["weight"] for c in covenant.criteria}
    total_weight = sum(weights.values())
    members = sorted(_members(session, cluster.id))
    per_scorer: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for s in session.scalars(select(ClusterScore).where(ClusterScore.cluster_id == cluster.id,
                                                        ClusterScore.period_id == period_id)):
        per_scorer[s.scored_body_id][s.scorer_body_id] += (
            100 * s.value * weights.get(s.criterion, 0) / (covenant.scale_max * total_weight))
    scores = {b: round(sum(per_scorer[b].values()) / len(per_scorer[b]), 2) if per_scorer[b] else 0.0
              for b in members}
    votes = {b: 0 for b in members}
    for v in session.scalars(select(AcclaimVote).where(AcclaimVote.cluster_id == cluster.id,
                                                       AcclaimVote.period_id == period_id)):
        votes[v.candidate_body_id] += 1
    ranking = sorted(members, key=lambda b: (-votes[b], -scores[b], b))
    slots = covenant.leading_units
    ahead, tied = ranking[:slots], []
    if len(ranking) > slots and (votes[ranking[slots - 1]], scores[ranking[slots - 1]]) == (
            votes[ranking[slots]], scores[ranking[slots]]):
        boundary = (votes[ranking[slots - 1]], scores[ranking[slots - 1]])
        tied = [b for b in ranking if (votes[b], scores[b]) == boundary]
        ahead = [b for b in ranking[:slots] if b not in tied]
    names = {b.id: b.name for b in session.scalars(select(Body).where(Body.id.in_(members)))}
    return {"scores": {str(b): scores[b] for b in members}, "votes": {str(b): votes[b] for b in members},
            "ranking": ranking, "acclaimed": [b for b in ahead if votes[b] > 0], "tied": tied,
            "slots": slots, "names": {str(b): names[b] for b in members}}


def record_result(session: Session, user: User, cluster: Cluster, period_id: int, *, now: datetime,
                  tie_decision: Iterable[int] = ()) -> ClusterResult:
    """The cluster head records the conference's result as its minutes. A tie for the last
    place must be decided by the conference and passed as ``tie_decision``."""
    _require(session, user, cluster, period_id, now.date(), {"cluster_head"})
    hold(session, f"cluster-result:{cluster.id}:{period_id}")
    result = compute_result(session, cluster, period_id)
    acclaimed = list(result["acclaimed"])
    tie_decision = list(dict.fromkeys(tie_decision))
    if result["tied"]:
        free = result["slots"] - len(acclaimed)
        if not tie_decision or not set(tie_decision) <= set(result["tied"]) or len(tie_decision) > free:
            names = ", ".join(result["names"][str(b)] for b in result["tied"])
            raise DomainError(f"Bằng phiếu và bằng điểm giữa: {names}. Hội nghị cần quyết định (chọn tối đa {free})",
                              f"Tied in votes and score: {names}. The conference must decide (choose up to {free})")
        acclaimed += tie_decision
        result["tie_decision"] = tie_decision
    elif tie_decision:
        raise DomainError("Không có bằng phiếu để quyết định", "There is no tie to decide")
    record = session.get(ClusterResult, (cluster.id, period_id)) or ClusterResult(
        cluster_id=cluster.id, period_id=period_id, result={}, acclaimed=[], recorded_at=now, recorded_by=user.id)
    record.result, record.acclaimed, record.recorded_at, record.recorded_by = result, acclaimed, now, user.id
    session.add(record)
    session.flush()
    return record
