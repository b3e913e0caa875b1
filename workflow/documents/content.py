"""What a decision says: gathered from the database and the wording into plain data.

Rendering only lays this out; every word comes from the wording file, every fact from the
decision, its nominations and the catalogue.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.catalogue import Catalogue
from ..domain.decisions import decision_items
from ..domain.models import Body, Council, Decision, Nomination, Period, Person, User
from ..models import AuditEvent

from .vietnamese import nfc, place_and_date, upper
from .wording import WordingFile, wording_for

__all__ = ["Awardee", "AwardGroup", "DecisionContent", "decision_content", "signer_of", "Letterhead", "letterhead",
           "fill", "awardee_of"]


@dataclass(frozen=True)
class Letterhead:
    """The top of an official document: issuing body, national heading, place and date."""

    issuer: list[str]
    national_heading: list[str]
    place_date: str


def letterhead(w: dict, body: Body, day: date) -> Letterhead:
    return Letterhead(issuer=list(w["issuer"] or [upper(body.name)]), national_heading=list(w["national_heading"] or []),
                      place_date=place_and_date(body.place or "", day))


@dataclass(frozen=True)
class Awardee:
    name: str
    position: str
    unit: str


@dataclass
class AwardGroup:
    """The awardees of one award in a decision (one paragraph of Điều 1, one annex table)."""

    code: str
    name: str
    kind: str  # title | form
    subject: str  # individual | collective
    awardees: list[Awardee] = field(default_factory=list)
    annex_title: str = ""


@dataclass
class DecisionContent:
    number: str
    issued_on: date
    place_date: str
    national_heading: list[str]
    issuer: list[str]
    subject: str
    authority: str
    legal_bases: list[str]
    proposal: str
    articles: list[str]
    recipients: list[str]
    signature: list[str]
    signer_name: str
    groups: list[AwardGroup]
    annex_columns: dict[str, str]
    verify_url: str
    verify_code: str
    qr: str = ""  # a data: URI, filled when rendering
    annex_caption: str = ""

    @property
    def awardee_count(self) -> int:
        return sum(len(g.awardees) for g in self.groups)


def signer_of(session: Session, decision: Decision) -> User | None:
    """The person who signed the decision (the ``sign`` step of its trail)."""
    event = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == decision.instance_id,
                                                     AuditEvent.trigger == "sign")
                            .order_by(AuditEvent.seq.desc())).first()
    return session.get(User, int(event.actor_id)) if event and event.actor_id.isdigit() else None


def _subjects(groups: list[AwardGroup]) -> str:
    kinds = {g.subject for g in groups}
    return "cá nhân, tập thể" if len(kinds) > 1 else ("cá nhân" if kinds == {"individual"} else "tập thể")


def fill(text: str | None, **values) -> str:
    """A wording template with its {placeholders} filled, in NFC."""
    return nfc((text or "").format_map(values))


def _groups(session: Session, catalogue: Catalogue, decision: Decision) -> list[AwardGroup]:
    groups: OrderedDict[str, AwardGroup] = OrderedDict()
    for nomination in decision_items(session, decision):
        award = catalogue.award(nomination.award_code)
        group = groups.setdefault(nomination.award_code, AwardGroup(nomination.award_code, award.name.vi, award.kind,
                                                                    award.subject))
        group.awardees.append(awardee_of(session, nomination))
    return list(groups.values())


def awardee_of(session: Session, nomination: Nomination) -> Awardee:
    """The nominee as a list shows them: a person with position and unit, or a unit under its parent."""
    if nomination.person_id:
        person = session.get(Person, nomination.person_id)
        return Awardee(person.full_name, person.position or "", session.get(Body, person.body_id).name)
    unit = session.get(Body, nomination.nominee_body_id)
    parent = session.get(Body, unit.parent_id) if unit.parent_id else None
    return Awardee(unit.name, "", parent.name if parent else "")


def decision_content(session: Session, catalogue: Catalogue, wording_file: WordingFile, decision: Decision, *,
                     base_url: str, verify_code: str, signer_name: str) -> DecisionContent:
    council = session.get(Council, decision.council_id)
    body = session.get(Body, council.body_id)
    period = session.get(Period, decision.period_id)
    w = wording_for(wording_file, body.code)
    year = period.year or decision.issued_on.year
    groups = _groups(session, catalogue, decision)
    head = letterhead(w, body, decision.issued_on)
    subjects = _subjects(groups) if groups else "cá nhân, tập thể"
    values = {"year": year, "council": council.name, "issuer": body.name, "subjects": subjects,
              "subjects_upper": upper(subjects), "count": decision and sum(len(g.awardees) for g in groups)}
    if decision.kind == "revocation":
        revoked = session.get(Decision, decision.revokes_id)
        values.update(number=revoked.number, date=revoked.issued_on.strftime("%d/%m/%Y"),
                      revoked_subject=revoked.title)
        subject = fill(w["revocation_subject"], **values)
        articles = [fill(w[f"revocation_article_{i}"], **values) for i in (1, 2, 3)]
    else:
        paragraphs = []
        for g in groups:
            verb = w["verbs"].get(g.kind, "tặng")
            group_values = dict(values, award=g.name, verb=verb, verb_capitalised=verb[:1].upper() + verb[1:],
                                verb_upper=upper(verb), award_upper=upper(g.name), count=len(g.awardees),
                                subjects="cá nhân" if g.subject == "individual" else "tập thể")
            group_values["subjects_upper"] = upper(group_values["subjects"])
            paragraphs.append(fill(w["article_1"], **group_values))
            g.annex_title = fill(w["annex_title"], **group_values)
        first = groups[0] if groups else None
        verb = w["verbs"].get(first.kind, "tặng") if first else "tặng"
        subject = fill(w["subject"], **dict(values, verb=verb, award=first.name if first else ""))
        if len(groups) > 1:
            subject = decision.title
        articles = [" ".join(paragraphs), fill(w["article_2"], **values), fill(w["article_3"], **values)]
    return DecisionContent(
        number=decision.number, issued_on=decision.issued_on,
        place_date=head.place_date, national_heading=head.national_heading, issuer=head.issuer,
        subject=subject, authority=w["authority"] or upper(council.name), legal_bases=list(w["legal_bases"] or []),
        proposal=fill(w["proposal"], **values), articles=articles, recipients=list(w["recipients"] or []),
        signature=list(w["signature"] or []), signer_name=signer_name, groups=groups,
        annex_columns=dict(w["annex_columns"] or {}), verify_url=f"{base_url.rstrip('/')}/v/{verify_code}",
        verify_code=verify_code,
        annex_caption=f"(Kèm theo Quyết định số {decision.number} ngày {decision.issued_on:%d/%m/%Y})")
