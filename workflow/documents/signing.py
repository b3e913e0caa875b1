"""Digital signatures with pyHanko: PAdES baseline (B-B), SHA-256, with a visible appearance in
the decision's signature block — the signer's name, title, organisation and the signing time
(Vietnam time, ISO 8601) in a font with full Vietnamese diacritics, optionally over a seal."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from .keys import KeySource
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


def _signer(source: KeySource):
    if source.kind == "pkcs11":  # a hardware token (python-pkcs11 needed; see keys.py)
        from pyhanko.sign import pkcs11 as p11
        session = p11.open_pkcs11_session(source.module, token_label=source.token, user_pin=source.pin)
        return p11.PKCS11Signer(session, key_label=source.key)
    return _pkcs12_signer(str(source.path), source.path.stat().st_mtime_ns, source.passphrase)


@functools.lru_cache(maxsize=32)
def _pkcs12_signer(path: str, _mtime_ns: int, passphrase: bytes | None) -> signers.SimpleSigner:
    """A PKCS#12 file opened once per version of the file (opening one costs a key derivation)."""
    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase)
    if signer is None:
        raise ValueError(f"cannot open the PKCS#12 file {path} (wrong passphrase?)")
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
    signers.PdfSigner(metadata, signer=_signer(source), stamp_style=stamp_style(text, box, seal)).sign_pdf(
        writer, output=out)
    return SignedPdf(out.getvalue(), when)
