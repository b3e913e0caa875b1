"""The nomination dossier (hồ sơ đề nghị): typed documents stored by content hash.

A file is accepted only if its content (not its name) is one of the types its document kind
allows, and within the kind's size; it is stored once in the database by its SHA-256 however
often it is attached, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import DocumentKind
from .errors import DomainError
from .models import Attachment, Blob, Nomination
from .text import nfc

__all__ = ["file_type", "attach", "documents_present", "blob_data", "MAX_FILENAME"]

MAX_FILENAME = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
# what filetype reports, by the names the vocabulary uses
_TYPES = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "odt": "odt", "ods": "ods", "png": "png", "jpg": "jpg"}


def file_type(data: bytes) -> str | None:
    """The file's type judged by its content ('pdf', 'docx', …), or None when unknown."""
    kind = filetype.guess(data[:8192] if not data.startswith(b"PK") else data)
    return _TYPES.get(kind.extension) if kind else None


def _safe_name(filename: str) -> str:
    name = _UNSAFE.sub("_", nfc(filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])).strip(" ._")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_FILENAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 else name[:MAX_FILENAME]
    return name or "tep"


def _check(data: bytes, kind: str, spec: DocumentKind) -> str:
    if not data:
        raise DomainError(f"Tệp {spec.vi.lower()} rỗng", f"The {spec.en.lower()} file is empty")
    if len(data) > spec.max_mb * 1024 * 1024:
        raise DomainError(f"Tệp {spec.vi.lower()} lớn hơn {spec.max_mb} MB",
                          f"The {spec.en.lower()} file is larger than {spec.max_mb} MB")
    found = file_type(data)
    if found not in spec.types:
        allowed = ", ".join(t.upper() for t in spec.types)
        raise DomainError(f"{spec.vi} phải là tệp {allowed}", f"The {spec.en.lower()} must be a {allowed} file")
    return found


def attach(session: Session, documents: dict[str, DocumentKind], *, kind: str, data: bytes, filename: str,
           user_id: int, now: datetime, nomination_id: int | None = None,
           submission_id: int | None = None) -> Attachment:
    """Checks and stores a document, attached to a nomination or to a submission."""
    if (nomination_id is None) == (submission_id is None):
        raise ValueError("attach to exactly one of a nomination or a submission")
    spec = documents.get(kind)
    if spec is None:
        raise DomainError(f"Không có loại tài liệu “{kind}”", f"No document kind “{kind}”")
    found = _check(data, kind, spec)
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), file_type=found, data=data))
        session.flush()  # the blob before the attachment that refers to it
    attachment = Attachment(nomination_id=nomination_id, submission_id=submission_id, kind=kind, sha256=digest,
                            filename=_safe_name(filename), uploaded_by=user_id, uploaded_at=now)
    session.add(attachment)
    session.flush()
    return attachment


def documents_present(session: Session, nomination: Nomination) -> dict[str, str]:
    """Document kind → content hash, for the nomination's own documents and its submission's."""
    rows = session.execute(select(Attachment.kind, Attachment.sha256).where(
        (Attachment.nomination_id == nomination.id) | (Attachment.submission_id == nomination.submission_id))
        .order_by(Attachment.id))
    return {kind: digest for kind, digest in rows}


def blob_data(session: Session, digest: str) -> bytes | None:
    blob = session.get(Blob, digest)
    return blob.data if blob else None
