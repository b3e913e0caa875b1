"""Publishing a decision as it is issued: render it with its number, sign it with the key of the
chair who signed it in the workflow, and store the signed bytes once (``DecisionDocument``).

The engine calls this as the ``publisher`` service from the ``issue_decision`` hook, inside the
transaction that numbers the decision and grants its awards: either all of it commits, or none.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.catalogue import Catalogue
from ..domain.errors import DomainError
from ..domain.models import Body, Council, Decision, DecisionDocument, Person, User
from .content import decision_content, signer_of
from .fonts import FontMissing
from .keys import KeyProblem, Keys
from .render import render_decision
from .signing import SignerIdentity, sign_pdf
from .wording import WordingFile, wording_for

if TYPE_CHECKING:
    from ..domain.setup import Domain

__all__ = ["Publisher", "new_verify_code", "CODE_ALPHABET"]

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8


def new_verify_code(session: Session) -> str:
    """A short random code no stored document has."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(DecisionDocument.decision_id).where(DecisionDocument.verify_code == code)) is None:
            return code


@dataclass
class Publisher:
    """The ``publisher`` service: definitions folder (templates and wording), keys, public URL."""

    definitions: Path
    keys: Keys
    base_url: str
    catalogue: Catalogue
    wording: WordingFile

    @classmethod
    def of(cls, domain: "Domain", keys: Keys, base_url: str) -> "Publisher":
        """The publisher over a loaded domain (its catalogue and documents' wording)."""
        if domain.catalogue is None or domain.wording is None:
            raise DomainError("Định nghĩa danh mục hoặc văn phong văn bản có lỗi",
                              "The catalogue or the documents' wording does not load")
        return cls(domain.root, keys, base_url, domain.catalogue, domain.wording)

    @property
    def folder(self) -> Path:
        return self.definitions / "documents"

    def seal(self, session: Session, decision: Decision) -> Path | None:
        """The issuing body's seal image, when its wording names one (a file in the folder)."""
        body = session.get(Body, session.get(Council, decision.council_id).body_id)
        name = wording_for(self.wording, body.code)["seal"]
        path = (self.folder / name).resolve() if name else None
        if path is not None and (self.folder.resolve() not in path.parents or not path.is_file()):
            raise KeyProblem(f"the seal image {name!r} is not a file in {self.folder}")
        return path

    def identity(self, session: Session, decision: Decision, signer: User) -> SignerIdentity:
        body = session.get(Body, session.get(Council, decision.council_id).body_id)
        person = session.get(Person, signer.person_id) if signer.person_id else None
        signature = wording_for(self.wording, body.code)["signature"] or [""]
        title = person.position if person and person.position else signature[-1]
        return SignerIdentity(name=person.full_name if person else signer.display_name, title=title,
                              organisation=body.name, location=body.place or "")

    def publish(self, session: Session, decision: Decision) -> DecisionDocument:
        """The signed PDF of ``decision`` (numbered and dated already), stored in ``session``;
        signed now, by the real clock (the decision's date is the transition's)."""
        signer = signer_of(session, decision)
        if signer is None:
            raise DomainError("Quyết định chưa được người có thẩm quyền ký", "No one has signed the decision")
        identity = self.identity(session, decision, signer)
        code = new_verify_code(session)
        try:
            content = decision_content(session, self.catalogue, self.wording, decision, base_url=self.base_url,
                                       verify_code=code, signer_name=identity.name)
            rendered = render_decision(content, self.folder)
            source = self.keys.source_for(signer.username, name=identity.name, organisation=identity.organisation)
            signed = sign_pdf(rendered, source, identity, seal=self.seal(session, decision))
        except (KeyProblem, FontMissing) as problem:
            raise DomainError(f"Chưa ký được quyết định: {problem}", f"The decision cannot be signed: {problem}") \
                from problem
        except (KeyError, ValueError, LookupError, OSError, TemplateError) as problem:
            log.exception("decision %s cannot be made", decision.id)
            raise DomainError("Chưa tạo được văn bản quyết định: mẫu hoặc văn phong có lỗi "
                              f"({problem.__class__.__name__}: {problem})",
                              f"The decision's document cannot be made: a template or the wording is wrong "
                              f"({problem.__class__.__name__}: {problem})") from problem
        data = signed.data
        document = DecisionDocument(decision_id=decision.id, verify_code=code, sha256=sha256(data).hexdigest(),
                                    size=len(data), pages=rendered.pages, data=data, signer_id=signer.id,
                                    signer_name=identity.name, test_key=source.test,
                                    signed_at=signed.signed_at)
        session.add(document)
        session.flush()
        log.info("decision %s published: %s pages, %s bytes, sha256 %s", decision.number, rendered.pages,
                 len(data), document.sha256)
        return document
