"""Checking a PDF someone holds: is it exactly an issued decision (its SHA-256 among the stored
documents), and is each signature in it intact, valid and from a trusted certificate — checked
with pyHanko against the keys folder's trust roots, never fetching anything from the network."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import sha256

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ..domain.models import DecisionDocument

__all__ = ["SignatureCheck", "Verification", "verify_pdf", "check_signatures"]

log = logging.getLogger(__name__)
MAX_SIGNATURES = 4  # a decision carries one; more is a file made to keep the checker busy


@dataclass(frozen=True)
class SignatureCheck:
    """One signature in the file, as pyHanko judged it."""

    field: str
    signer: str
    organisation: str
    signed_at: datetime | None
    intact: bool  # the bytes it covers are unchanged
    valid: bool  # the cryptographic signature over them is correct
    trusted: bool  # the certificate chains to a trust root
    whole_file: bool  # it covers the whole file: nothing was added after signing

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


@dataclass
class Verification:
    sha256: str
    size: int
    document: DecisionDocument | None = None  # the issued decision these exact bytes are
    signatures: list[SignatureCheck] = field(default_factory=list)
    unreadable: str | None = None  # why the file could not be read as a PDF

    @property
    def genuine(self) -> bool:
        """Exactly an issued decision, with every signature in it valid."""
        return self.document is not None and bool(self.signatures) and all(s.ok for s in self.signatures)


def _attribute(name: x509.Name | None, oid) -> str:
    values = name.get_attributes_for_oid(oid) if name is not None else []
    return str(values[0].value) if values else ""


def _context(trust_roots: list[x509.Certificate], moment: datetime | None) -> ValidationContext:
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment)


def check_signatures(data: bytes, trust_roots: list[x509.Certificate],
                     moment: datetime | None = None) -> list[SignatureCheck]:
    """Every signature of the PDF ``data``, its certificates judged at ``moment`` (default now);
    raises ``ValueError`` when it is no readable PDF or carries more than ``MAX_SIGNATURES``."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as err:  # noqa: BLE001 — any parser failure means: not a PDF we can read
        raise ValueError(f"not a readable PDF ({err.__class__.__name__})") from err
    if len(embedded) > MAX_SIGNATURES:
        raise ValueError(f"{len(embedded)} signatures: more than a decision carries")
    checks = []
    for signature in embedded:
        try:
            status = validate_pdf_signature(signature, _context(trust_roots, moment))
        except Exception as err:  # noqa: BLE001 — a malformed signature is an invalid one
            log.info("signature %s does not validate: %s", signature.field_name, err)
            checks.append(SignatureCheck(signature.field_name, "", "", None, False, False, False, False))
            continue
        subject = x509.load_der_x509_certificate(status.signing_cert.dump()).subject
        checks.append(SignatureCheck(
            field=signature.field_name, signer=_attribute(subject, NameOID.COMMON_NAME),
            organisation=_attribute(subject, NameOID.ORGANIZATION_NAME), signed_at=status.signer_reported_dt,
            intact=status.intact, valid=status.valid, trusted=status.trusted,
            whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE))
    return checks


def verify_pdf(session: Session, data: bytes, trust_roots: list[x509.Certificate]) -> Verification:
    """What ``data`` is: an issued decision or not, and how its signatures stand. The stored
    bytes of an issued decision are judged as of when they were signed (so a certificate that
    has expired since does not make a genuine decision look forged); anything else as of now."""
    digest = sha256(data).hexdigest()
    result = Verification(sha256=digest, size=len(data))
    result.document = session.scalar(select(DecisionDocument).options(defer(DecisionDocument.data))
                                     .where(DecisionDocument.sha256 == digest))
    moment = None
    if result.document is not None:
        signed = result.document.signed_at
        moment = signed if signed.tzinfo else signed.replace(tzinfo=timezone.utc)
    try:
        result.signatures = check_signatures(data, trust_roots, moment)
    except ValueError as err:
        result.unreadable = str(err)
    return result

