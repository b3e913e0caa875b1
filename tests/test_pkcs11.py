"""Signing with a key on a PKCS#11 token, as the chair of a real council would (a USB token from
a Vietnamese CA), against SoftHSM2 — a software token behind the same interface: ``signers.yaml``
names the token, the key never leaves it, and the issued decision's signature is valid."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from workflow.documents.keys import Keys
from workflow.documents.verification import verify_pdf
from workflow.domain.models import DecisionDocument

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "246810"
pytestmark = pytest.mark.skipif(not SOFTHSM.exists() or shutil.which("softhsm2-util") is None,
                                reason="SoftHSM2 is not installed (Debian package softhsm2; the set-up command installs it)")


def _key_pair(session, kind: str, label: str):
    """A key pair made on the token (the private half never leaves it), and its public key."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
    from pkcs11.util.rsa import encode_rsa_public_key
    if kind == "rsa":  # what the Vietnamese CAs' USB tokens hold
        public, _private = session.generate_keypair(KeyType.RSA, 2048, store=True, label=label)
        return serialization.load_der_public_key(_spki_of_rsa(encode_rsa_public_key(public)))
    curve = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
    public, _private = curve.generate_keypair(store=True, label=label)
    return serialization.load_der_public_key(encode_ec_public_key(public))


def _spki_of_rsa(pkcs1: bytes) -> bytes:
    from asn1crypto.keys import PublicKeyInfo
    return PublicKeyInfo.wrap(pkcs1, "rsa").dump()


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A fresh SoftHSM2 token for this module. SoftHSM reads its configuration once per process,
    so there is one token, and a key per kind on it."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    (folder / "softhsm2.conf").write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n",
                                          encoding="utf-8")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("SOFTHSM2_CONF", str(folder / "softhsm2.conf"))
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "laurel-test", "--so-pin", "13572468",
                        "--pin", PIN], check=True, capture_output=True, timeout=60)
        yield Keys(folder / "authority")  # stands for the CA that issued the token's certificates


@pytest.fixture(scope="module", params=["rsa", "ec"])
def token_key(request, token):
    """A key on the token — RSA 2048, or ECDSA P-256 signed from a digest made here (``prehashed``,
    as SoftHSM cannot hash) — with its certificate stored beside it: (kind, certificate)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass
    label = f"chu-ky-so-{request.param}"
    with pkcs11.lib(str(SOFTHSM)).get_token(token_label="laurel-test").open(rw=True, user_pin=PIN) as session:
        certificate = token.certify_for_tests(_key_pair(session, request.param, label), name="Lãnh đạo p_head",
                                              organisation="Ban Tổ chức Tỉnh ủy Thái Bình")
        session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.TOKEN: True,
                               Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.LABEL: label,
                               Attribute.SUBJECT: certificate.subject.public_bytes(),
                               Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER)})
    return request.param, certificate


@pytest.fixture
def token_keys(token, token_key, tmp_path, monkeypatch):
    """A keys folder in production mode: the chair (``head_p``) signs with the token's key, and
    the CA that certified it is trusted."""
    kind, certificate = token_key
    keys = Keys(tmp_path / "keys")
    (keys.folder / "trusted").mkdir(parents=True)
    shutil.copy(token.ca_certificate_path, keys.folder / "trusted" / "authority.pem")
    keys.signers_file.write_text(f"head_p:\n  pkcs11:\n    module: {SOFTHSM}\n    token: laurel-test\n"
                                 f"    key: chu-ky-so-{kind}\n    pin_env: LAUREL_TEST_TOKEN_PIN\n"
                                 f"    prehashed: {'true' if kind == 'ec' else 'false'}\n", encoding="utf-8")
    monkeypatch.setenv("LAUREL_TEST_TOKEN_PIN", PIN)
    return keys, certificate


def test_a_decision_signed_on_a_token_is_valid_and_carries_the_tokens_certificate(desk, domain, token_keys):
    from workflow.documents.publisher import Publisher
    keys, certificate = token_keys
    desk.engine = domain.build_engine(publisher=Publisher.of(domain, keys, "http://laurel.test"))
    decision_id = desk.decide(desk.voted_through(["d1_1"]))
    with desk.readers() as s:
        data = s.get(DecisionDocument, decision_id).data
        result = verify_pdf(s, data, keys.trust_roots())
    assert result.genuine, result
    signature = result.signatures[0]
    assert signature.valid and signature.trusted and signature.signer == "Lãnh đạo p_head"
    embedded = PdfReader(io.BytesIO(data)).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]
    assert certificate.public_bytes(serialization.Encoding.DER) in embedded["/Contents"]
    assert "không có giá trị pháp lý" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_wrong_pin_is_a_message_and_nothing_is_issued(desk, domain, token_keys, monkeypatch):
    from workflow.documents.publisher import Publisher
    from workflow.domain.errors import DomainError
    keys, _certificate = token_keys
    monkeypatch.setenv("LAUREL_TEST_TOKEN_PIN", "000000")
    desk.engine = domain.build_engine(publisher=Publisher.of(domain, keys, "http://laurel.test"))
    decision_id = desk.decide(desk.voted_through(["d1_1"]), steps=("submit_for_signature", "sign"))
    with pytest.raises(DomainError) as refused:
        desk.act_on_decision(decision_id, "issue")
    assert "laurel-test" in refused.value.en and "cannot be opened" in refused.value.en
    with desk.readers() as s:
        assert s.get(DecisionDocument, decision_id) is None
