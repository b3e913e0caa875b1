"""Digital signatures with pyHanko: PAdES baseline (B-B), SHA-256, with a visible appearance in
the decision's signature block — the signer's name, title, organisation and the signing time
(Vietnam time, ISO 8601) in a font with full Vietnamese diacritics, optionally over a seal."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from .keys import KeyProblem, KeySource
from .render import RenderedPdf
from .stamp import StampText, stamp_style
from .vietnamese import in_vietnam

__all__ = ["SignerIdentity", "SignedPdf", "sign_pdf", "NOT_BINDING"]

NOT_BINDING = "CHỮ KÝ THỬ NGHIỆM - KHÔNG CÓ GIÁ TRỊ PHÁP LÝ"
FIELD = "ChuKySo"


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    signed_at: datetime  # UTC


@dataclass(frozen=True)
class SignerIdentity:
    name: str
    title: str
    organisation: str
    location: str


@contextmanager
def _signer(source: KeySource) -> Iterator[signers.Signer]:
    """The signer of ``source``, for one signing (a token's session is closed afterwards)."""
    if source.kind == "pkcs11":  # a hardware token (python-pkcs11 needed; see keys.py)
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as p11
        try:
            session = p11.open_pkcs11_session(source.module, token_criteria=TokenCriteria(label=source.token),
                                              user_pin=source.pin or None)
        except Exception as err:  # noqa: BLE001 — the token's library raises its own errors
            raise KeyProblem(f"the token {source.token!r} ({source.module}) cannot be opened: {err}") from err
        try:
            yield p11.PKCS11Signer(session, key_label=source.key, use_raw_mechanism=source.prehashed)
        finally:
            session.close()
        return
    if source.path is None or not source.path.is_file():
        raise KeyProblem(f"the PKCS#12 file {source.path} does not exist")
    yield _pkcs12_signer(str(source.path), source.path.stat().st_mtime_ns, source.passphrase)


@functools.lru_cache(maxsize=32)
def _pkcs12_signer(path: str, _mtime_ns: int, passphrase: bytes | None) -> signers.SimpleSigner:
    """A PKCS#12 file opened once per version of the file (opening one costs a key derivation)."""
    try:
        signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase)
    except Exception as err:  # noqa: BLE001 — a damaged file or a wrong passphrase
        raise KeyProblem(f"the PKCS#12 file {path} cannot be opened ({err.__class__.__name__})") from err
    if signer is None:
        raise KeyProblem(f"the PKCS#12 file {path} cannot be opened (wrong passphrase?)")
    return signer


def sign_pdf(rendered: RenderedPdf, source: KeySource, identity: SignerIdentity,
             seal: Path | None = None) -> SignedPdf:
    """The PDF signed in its signature block (an incremental update over the rendered bytes)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(rendered.data))
    box = tuple(round(v) for v in rendered.signature_box)
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD, on_page=rendered.signature_page, box=box))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, name=identity.name,
        reason=f"Ký ban hành văn bản — {identity.title}", location=identity.location)
    when = datetime.now(timezone.utc)  # the signature records the real clock; the stamp shows the same
    local = in_vietnam(when).replace(microsecond=0).isoformat()
    text = StampText((f"Ký bởi: {identity.name}", identity.title, identity.organisation, f"Thời gian ký: {local}"),
                     warning=NOT_BINDING if source.test else None)
    out = io.BytesIO()
    with _signer(source) as signer:
        signers.PdfSigner(metadata, signer=signer, stamp_style=stamp_style(text, box, seal)).sign_pdf(
            writer, output=out)
    return SignedPdf(out.getvalue(), when)
