"""The rules of commendation as guards, each with a reason a person can act on (vi/en).

Every number comes from the award catalogue; nothing here knows a percentage or a count.
Guards that decide on a shared count (the quota, one award per achievement) first take a
lock on what they count, so two units cannot both take the last place.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..locks import hold
from ..models import AuditEvent, WorkflowInstance
from ..reasons import Reason
from ..registry import Registry
from ..schema import Deadline
from .catalogue import AwardSchema, Catalogue, Prerequisite
from .dossier import documents_present
from .history import holds
from .models import (AwardRecord, Cluster, ClusterMembership, ClusterResult, Discipline, Initiative,
                     Nomination, Period, Person, Tally, User)
from .periods import previous_years, submission_open

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["register"]


# --- what the guards share -------------------------------------------------------------------

def catalogue(ctx: "Context") -> Catalogue:
    return ctx.services["catalogue"]


def nomination(ctx: "Context") -> Nomination:
    if "nomination" not in ctx.memo:
        ctx.memo["nomination"] = ctx.session.get(Nomination, int(ctx.instance.subject_ref))
    return ctx.memo["nomination"]


def award(ctx: "Context") -> AwardSchema:
    return catalogue(ctx).award(nomination(ctx).award_code)


def period(ctx: "Context") -> Period:
    return ctx.session.get(Period, nomination(ctx).period_id)


def _name(ctx: "Context", code: str) -> tuple[str, str]:
    label = catalogue(ctx).award(code).name
    return label.vi, label.en


def _settled_states(ctx: "Context") -> set[str]:
    """States where a nomination holds no place: the initial draft and the final outcomes."""
    spec = ctx.spec
    return {spec.initial} | {name for name, state in spec.states.items() if state.final}


def _active(ctx: "Context", query):
    """Restricts a Nomination query to those holding a place (past the draft, not ended)."""
    return (query.join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
            .where(WorkflowInstance.state.not_in(_settled_states(ctx))))


def _members(session: Session, body_id: int) -> list[int]:
    return list(session.scalars(select(Person.id).where(Person.body_id == body_id)))


# --- dossier and eligibility -----------------------------------------------------------------

def dossier_complete(ctx: "Context") -> list[Reason]:
    rule, present = award(ctx), documents_present(ctx.session, nomination(ctx))
    documents = ctx.services["documents"]
    missing = [kind for kind in dict.fromkeys(rule.submission_documents + rule.documents) if kind not in present]
    return [Reason("document_missing", f"Thiếu {documents[k].vi[:1].lower()}{documents[k].vi[1:]}",
                   f"Missing {documents[k].en[:1].lower()}{documents[k].en[1:]}") for k in missing]


def _prerequisite(ctx: "Context", pre: Prerequisite) -> Reason | None:
    session, nom, this = ctx.session, nomination(ctx), period(ctx)
    holder = {"person_id": nom.person_id} if nom.person_id else {"body_id": nom.nominee_body_id}
    if pre.holds:
        if not holds(session, pre.holds, this.id, **holder):
            vi, en = _name(ctx, pre.holds)
            return Reason("prerequisite", f"Chưa đạt “{vi}” trong {this.name}", f"Does not hold “{en}” for {this.name}")
    elif pre.held:
        years = previous_years(session, this, pre.consecutive_periods)
        missing = [str(this.year - i - 1) for i, p in enumerate(years)
                   if p is None or not holds(session, pre.held, p.id, **holder)]
        if missing:
            vi, en = _name(ctx, pre.held)
            return Reason("prerequisite",
                          f"Chưa đạt “{vi}” {pre.consecutive_periods} năm liên tục trước đó (thiếu năm {', '.join(missing)})",
                          f"Did not hold “{en}” in each of the {pre.consecutive_periods} previous years "
                          f"(missing {', '.join(missing)})")
    elif pre.initiative:
        levels = catalogue(ctx).levels_at_or_above(pre.initiative)
        found = session.scalar(select(func.count()).select_from(Initiative).where(
            Initiative.person_id == nom.person_id, Initiative.period_id == this.id, Initiative.level.in_(levels)))
        if not found:
            level = catalogue(ctx).schema.levels[pre.initiative]
            return Reason("prerequisite", f"Chưa có sáng kiến được công nhận ({level.vi.lower()} trở lên)",
                          f"No initiative recognised at {level.en.lower()} or above")
    elif pre.no_discipline:
        levels = catalogue(ctx).discipline_at_or_above(pre.no_discipline)
        people = [nom.person_id] if nom.person_id else _members(session, nom.nominee_body_id)
        count = session.scalar(select(func.count()).select_from(Discipline).where(
            Discipline.person_id.in_(people), Discipline.period_id == this.id, Discipline.level.in_(levels))) if people else 0
        if count:
            label = catalogue(ctx).schema.discipline[pre.no_discipline]
            if nom.person_id:
                return Reason("discipline", f"Bị kỷ luật từ mức “{label.vi}” trở lên trong {this.name}",
                              f"Disciplined at “{label.en}” or above in {this.name}")
            return Reason("discipline", f"Có thành viên bị kỷ luật từ mức “{label.vi}” trở lên trong {this.name}",
                          f"A member was disciplined at “{label.en}” or above in {this.name}")
    elif pre.members_holding:
        members = _members(session, nom.nominee_body_id)
        holding = session.scalar(select(func.count(func.distinct(AwardRecord.person_id))).where(
            AwardRecord.award_code == pre.members_holding, AwardRecord.period_id == this.id,
            AwardRecord.person_id.in_(members), AwardRecord.revoked_by_decision_id.is_(None))) if members else 0
        vi, en = _name(ctx, pre.members_holding)
        if pre.share is not None and (not members or holding < pre.share * len(members)):
            return Reason("members", f"Mới có {holding}/{len(members)} thành viên đạt “{vi}” (cần {pre.share:.0%})",
                          f"Only {holding} of {len(members)} members hold “{en}” ({pre.share:.0%} needed)")
        if pre.at_least is not None and holding < pre.at_least:
            return Reason("members", f"Cần ít nhất {pre.at_least} thành viên đạt “{vi}” (hiện có {holding})",
                          f"At least {pre.at_least} members must hold “{en}” ({holding} do)")
    return None


def prerequisites_met(ctx: "Context") -> list[Reason]:
    return [reason for pre in award(ctx).prerequisites if (reason := _prerequisite(ctx, pre))]


def submission_window_open(ctx: "Context") -> Reason | None:
    this = period(ctx)
    if submission_open(this, ctx.now.date()):
        return None
    window = f"{this.submission_opens:%d/%m/%Y} – {this.submission_closes:%d/%m/%Y}"
    return Reason("window", f"Ngoài thời hạn nhận hồ sơ của {this.name} ({window})",
                  f"Outside the submission window of {this.name} ({window})")


def one_award_per_line(ctx: "Context") -> Reason | None:
    """One achievement, one award: no other nomination or award for the nominee, period and line."""
    nom = nomination(ctx)
    nominee = (Nomination.person_id == nom.person_id) if nom.person_id else (Nomination.nominee_body_id == nom.nominee_body_id)
    hold(ctx.session, f"line:{nom.period_id}:{nom.award_line}:{nom.person_id or 'u' + str(nom.nominee_body_id)}")
    others = ctx.session.scalar(_active(ctx, select(func.count()).select_from(Nomination)).where(
        Nomination.period_id == nom.period_id, Nomination.award_line == nom.award_line, nominee, Nomination.id != nom.id))
    held = ctx.session.scalar(select(func.count()).select_from(AwardRecord).where(
        AwardRecord.period_id == nom.period_id, AwardRecord.award_code.in_(
            [c for c in catalogue(ctx).awards if catalogue(ctx).line_of(c) == nom.award_line]),
        (AwardRecord.person_id == nom.person_id) if nom.person_id else (AwardRecord.body_id == nom.nominee_body_id),
        AwardRecord.revoked_by_decision_id.is_(None)))
    if others or held:
        return Reason("one_award", "Thành tích này đã được đề nghị hoặc khen thưởng trong kỳ (mỗi thành tích một hình thức)",
                      "This achievement is already nominated or awarded in the period (one achievement, one award)")
    return None


# --- quota and the cluster -------------------------------------------------------------------

def _clusters(ctx: "Context", body_id: int) -> list[int]:
    return list(ctx.session.scalars(
        select(ClusterMembership.cluster_id).join(Cluster, Cluster.id == ClusterMembership.cluster_id)
        .where(ClusterMembership.body_id == body_id, Cluster.council_id == nomination(ctx).council_id)))


def _cap(ctx: "Context", bodies: list[int]) -> tuple[int, int | None]:
    """(cap, base) of the award's quota over ``bodies``."""
    quota, session = award(ctx).quota, ctx.session
    if quota.max is not None:
        return quota.max, None
    if quota.of == "units":
        base = len(bodies)
    elif quota.of == "members":
        base = session.scalar(select(func.count()).select_from(Person).where(Person.body_id.in_(bodies)))
    else:
        base = session.scalar(select(func.count()).select_from(AwardRecord).join(
            Person, Person.id == AwardRecord.person_id, isouter=True).where(
            AwardRecord.award_code == quota.award, AwardRecord.period_id == nomination(ctx).period_id,
            AwardRecord.revoked_by_decision_id.is_(None),
            (Person.body_id.in_(bodies)) | (AwardRecord.body_id.in_(bodies))))
    return max(quota.minimum, math.floor(quota.share * base + 1e-9)), base


def _claiming_triggers(ctx: "Context", guard: str) -> set[str]:
    """The triggers whose transitions check ``guard``: passing one of them claims a place."""
    return {t.trigger for t in ctx.spec.transitions if guard in t.guards}


def _within_quota(ctx: "Context", per: str, guard: str) -> list[Reason]:
    """The award's quota, if it is counted ``per`` unit or cluster: places are held by the
    nominations that passed a transition checking ``guard`` and have not ended since."""
    rule = award(ctx)
    if rule.quota is None or rule.quota.per != per:
        return []
    nom, session = nomination(ctx), ctx.session
    if per == "unit":
        scopes = [(f"unit:{nom.proposer_body_id}", [nom.proposer_body_id])]
    else:
        clusters = _clusters(ctx, nom.proposer_body_id)
        if not clusters:
            return [Reason("quota", "Đơn vị không thuộc cụm thi đua nào của Hội đồng này",
                           "The unit belongs to no cluster of this council")]
        scopes = [(f"cluster:{c}", list(session.scalars(select(ClusterMembership.body_id)
                                                         .where(ClusterMembership.cluster_id == c))))
                  for c in clusters]
    claimed = (select(AuditEvent.instance_id).where(AuditEvent.kind == "transition",
                                                    AuditEvent.trigger.in_(_claiming_triggers(ctx, guard))))
    reasons = []
    vi, en = _name(ctx, nom.award_code)
    for key, bodies in scopes:
        hold(session, f"quota:{nom.period_id}:{nom.award_code}:{key}")  # the count below is ours until commit
        cap, base = _cap(ctx, bodies)
        taken = session.scalar(_active(ctx, select(func.count()).select_from(Nomination)).where(
            Nomination.award_code == nom.award_code, Nomination.period_id == nom.period_id,
            Nomination.proposer_body_id.in_(bodies), Nomination.id != nom.id,
            Nomination.instance_id.in_(claimed)))
        if taken >= cap:
            where_vi, where_en = ("đơn vị", "unit") if per == "unit" else ("cụm thi đua", "cluster")
            detail = "" if base is None else f" ({rule.quota.share:.0%} × {base})"
            reasons.append(Reason("quota", f"Đã hết chỉ tiêu “{vi}” của {where_vi}: tối đa {cap}{detail}, đã đề nghị {taken}",
                                  f"The {where_en}'s quota for “{en}” is used up: at most {cap}{detail}, {taken} nominated"))
    return reasons


def within_unit_quota(ctx: "Context") -> list[Reason]:
    return _within_quota(ctx, "unit", "within_unit_quota")


def within_cluster_quota(ctx: "Context") -> list[Reason]:
    return _within_quota(ctx, "cluster", "within_cluster_quota")


def acclaimed_by_cluster(ctx: "Context") -> Reason | None:
    if not award(ctx).acclaim_required:
        return None
    nom = nomination(ctx)
    unit = nom.nominee_body_id
    for cluster_id in _clusters(ctx, unit):
        result = ctx.session.get(ClusterResult, (cluster_id, nom.period_id))
        if result is not None and unit in result.acclaimed:
            return None
    return Reason("acclaim", "Đơn vị chưa được cụm thi đua suy tôn dẫn đầu", "The unit was not acclaimed by its cluster")


def needs_cluster_review(ctx: "Context") -> bool:
    return award(ctx).cluster_review


def needs_public_posting(ctx: "Context") -> bool:
    return award(ctx).posting_days is not None


def posting_period_over(ctx: "Context") -> Reason | None:
    days = award(ctx).posting_days or 0
    ends = ctx.instance.state_entered_at + timedelta(days=days)
    if ctx.now >= ends:
        return None
    return Reason("posting", f"Chưa hết thời hạn công khai (đến {ends:%d/%m/%Y})",
                  f"The public posting runs until {ends:%d/%m/%Y}")


# --- the council's vote ----------------------------------------------------------------------

def _tally(ctx: "Context") -> Tally | None:
    if "tally" not in ctx.memo:
        ctx.memo["tally"] = ctx.session.scalars(select(Tally).where(Tally.nomination_id == nomination(ctx).id)
                                                .order_by(Tally.session_id.desc())).first()
    return ctx.memo["tally"]


def vote_held(ctx: "Context") -> Reason | None:
    if _tally(ctx) is None:
        return Reason("vote", "Hội đồng chưa bỏ phiếu (hoặc phiên họp chưa kết thúc)",
                      "The council has not voted yet (or its session is still open)")
    return None


def vote_passed(ctx: "Context") -> Reason | None:
    tally = _tally(ctx)
    if tally is not None and tally.passed:
        return None
    if tally is None:
        return Reason("vote", "Hội đồng chưa bỏ phiếu", "The council has not voted")
    return Reason("vote", f"Không đạt: {tally.agree}/{tally.base} phiếu đồng ý (cần {tally.threshold:.0%})",
                  f"Not passed: {tally.agree} of {tally.base} in favour ({tally.threshold:.0%} needed)")


# --- separation of duties --------------------------------------------------------------------

def not_the_nominee(ctx: "Context") -> Reason | None:
    """Nobody reviews or votes on a nomination that names them (nor does their delegate)."""
    nom = nomination(ctx)
    if nom.person_id is None:
        return None
    for principal in ctx.actor.principals:
        if principal.isdigit():
            user = ctx.session.get(User, int(principal))
            if user is not None and user.person_id == nom.person_id:
                return Reason("nominee", "Người được đề nghị không được xét đề nghị về chính mình",
                              "Nobody may act on a nomination that names them")
    return None


# --- durations -------------------------------------------------------------------------------

def public_posting(ctx: "Context") -> Deadline | None:
    days = award(ctx).posting_days
    return Deadline(days=days) if days else None


def appraisal_time(ctx: "Context") -> Deadline:
    return Deadline(working_days=award(ctx).appraisal_working_days)


_GUARDS = [
    (dossier_complete, "Hồ sơ đầy đủ", "Dossier complete"),
    (prerequisites_met, "Đủ điều kiện, tiêu chuẩn", "Prerequisites met"),
    (submission_window_open, "Trong thời hạn nhận hồ sơ", "Within the submission window"),
    (one_award_per_line, "Mỗi thành tích một hình thức khen thưởng", "One achievement, one award"),
    (within_unit_quota, "Trong chỉ tiêu, tỷ lệ của đơn vị", "Within the unit's quota"),
    (within_cluster_quota, "Trong chỉ tiêu, tỷ lệ của cụm thi đua", "Within the cluster's quota"),
    (acclaimed_by_cluster, "Được cụm thi đua suy tôn", "Acclaimed by the cluster"),
    (needs_cluster_review, "Cần cụm thi đua xem xét", "Needs the cluster's review"),
    (needs_public_posting, "Cần công khai lấy ý kiến", "Needs public posting"),
    (posting_period_over, "Đã hết thời hạn công khai", "Public posting period over"),
    (vote_held, "Hội đồng đã bỏ phiếu", "The council has voted"),
    (vote_passed, "Hội đồng bỏ phiếu thông qua", "The council's vote passed"),
    (not_the_nominee, "Không tự xét đề nghị về mình", "Not the nominee"),
]


def register(registry: Registry) -> None:
    """Adds the domain's guards and durations to ``registry``."""
    for func_, vi, en in _GUARDS:
        registry.guard(func_.__name__, vi=vi, en=en)(func_)
    registry.duration("public_posting")(public_posting)
    registry.duration("appraisal_time")(appraisal_time)
