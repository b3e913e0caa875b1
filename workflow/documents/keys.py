"""Signing keys: where each signer's key comes from.

Without ``signers.yaml`` (the default, ``embedded``) Laurel keeps a local test CA and issues each signer a certificate
(ECDSA P-256 keys: quick to load and to sign with; production keys are whatever the token holds),
stored under the keys folder with owner-only permissions; such signatures prove integrity only
and are stamped as not legally binding. In production, ``signers.yaml`` in the keys folder maps
every signer (by user name) to a PKCS#12 file or a PKCS#11 token; once it exists, a signer it
does not name cannot sign (no silent test key) and the test CA is no longer trusted:

    chutich.tb:
      pkcs12: /etc/laurel/keys/chutich.tb.p12
      passphrase_env: LAUREL_P12_CHUTICH_TB      # the passphrase, from the environment
    vanthu.tw:
      pkcs11:
        module: /usr/lib/x86_64-linux-gnu/libviettel-ca.so
        token: VIETTEL-CA
        key: signing-key
        pin_env: LAUREL_PIN_VANTHU_TW
        prehashed: false    # true for an ECDSA key on a token that cannot hash (SoftHSM)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = ["KeySource", "Keys", "KeyProblem", "TEST_CA_NAME"]

TEST_CA_NAME = "Laurel - CA thử nghiệm (không có giá trị pháp lý)"


SIGNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}")


class KeyProblem(ValueError):
    """A signer's key cannot be found or opened; the message says what to fix."""


@dataclass(frozen=True)
class KeySource:
    """How to reach one signer's key."""

    kind: str  # pkcs12 | pkcs11
    path: Path | None = None
    passphrase: bytes | None = None
    module: str | None = None
    token: str | None = None
    key: str | None = None
    pin: str | None = None
    prehashed: bool = False  # the token signs only a digest made here (raw ECDSA, as SoftHSM does)
    test: bool = False  # a certificate of the local test CA: not legally binding


def _private(path: Path, data: bytes) -> None:
    """Writes ``data`` readable by its owner only; readers see the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


class Keys:
    """The keys folder: the test CA, the signers' test certificates, and ``signers.yaml``."""

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def ca_certificate_path(self) -> Path:
        return self.folder / "test-ca.pem"

    @property
    def signers_file(self) -> Path:
        return self.folder / "signers.yaml"

    @property
    def production(self) -> bool:
        """Real keys are configured (``signers.yaml`` exists): no test key signs, none is trusted."""
        return self.signers_file.exists()

    def trust_roots(self) -> list[x509.Certificate]:
        """The certificates a signature must chain to: ``trusted/*.pem``, and the test CA unless
        real keys are configured."""
        paths = sorted((self.folder / "trusted").glob("*.pem"))
        if not self.production:
            paths.insert(0, self.ca_certificate_path)
        return [x509.load_pem_x509_certificate(p.read_bytes()) for p in paths if p.exists()]

    def _configured(self) -> dict:
        if not self.production:
            return {}
        try:
            loaded = yaml.safe_load(self.signers_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise KeyProblem(f"{self.signers_file} cannot be read: {err}") from err
        if not isinstance(loaded, dict):
            raise KeyProblem(f"{self.signers_file} must map user names to their keys")
        return loaded

    def source_for(self, username: str, *, name: str, organisation: str) -> KeySource:
        """The key of ``username``: as configured in signers.yaml, else (no signers.yaml) a test
        certificate made on first use."""
        if self.production and username not in self._configured():
            raise KeyProblem(f"{self.signers_file} names no key for the signer {username!r}")
        entry = self._configured().get(username)
        if entry and "pkcs12" in entry:
            passphrase = os.environ.get(entry.get("passphrase_env", ""), "")
            return KeySource("pkcs12", path=Path(entry["pkcs12"]), passphrase=passphrase.encode() or None)
        if entry and "pkcs11" in entry:
            p11 = entry["pkcs11"]
            return KeySource("pkcs11", module=p11["module"], token=p11.get("token"), key=p11.get("key"),
                             pin=os.environ.get(p11.get("pin_env", ""), ""), prehashed=p11.get("prehashed") is True)
        if entry:
            raise KeyProblem(f"{self.signers_file}: the entry of {username!r} needs 'pkcs12' or 'pkcs11'")
        return self.test_signer(username, name=name, organisation=organisation)

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key_path = self.folder / "test-ca.key"
        if self.ca_certificate_path.exists() and key_path.exists():
            return (x509.load_pem_x509_certificate(self.ca_certificate_path.read_bytes()),
                    serialization.load_pem_private_key(key_path.read_bytes(), password=None))
        key = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_CA_NAME),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Laurel")])
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                       .not_valid_after(now + dt.timedelta(days=3650))
                       .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                       .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                    content_commitment=False, key_encipherment=False,
                                                    data_encipherment=False, key_agreement=False,
                                                    encipher_only=False, decipher_only=False), critical=True)
                       .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                       .sign(key, hashes.SHA256()))
        _private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
        _private(self.ca_certificate_path, certificate.public_bytes(serialization.Encoding.PEM))
        return certificate, key

    @contextmanager
    def _creating(self) -> Iterator[None]:
        """Held while keys are made, so concurrent processes never make two CAs."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)  # an existing folder is tightened too
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def init(self) -> x509.Certificate:
        """Makes the test CA unless it exists; its certificate."""
        with self._creating():
            return self._ca()[0]

    def test_signer(self, username: str, *, name: str, organisation: str) -> KeySource:
        """The test certificate of ``username`` (made on first use, signed by the test CA)."""
        if not SIGNER_NAME.fullmatch(username):
            raise KeyProblem(f"{username!r} cannot name a key file")
        path = self.folder / f"{username}.p12"
        secret = self.folder / f"{username}.pass"
        if path.exists() and secret.exists():
            return KeySource("pkcs12", path=path, passphrase=secret.read_bytes(), test=True)
        with self._creating():
            if path.exists() and secret.exists():
                return KeySource("pkcs12", path=path, passphrase=secret.read_bytes(), test=True)
            return self._new_test_signer(username, path, secret, name=name, organisation=organisation)

    def certify_for_tests(self, public_key, *, name: str, organisation: str) -> x509.Certificate:
        """A certificate from the test CA for a key held elsewhere (a test token's, say)."""
        with self._creating():
            return self._certify(public_key, name=name, organisation=organisation)[0]

    def _certify(self, public_key, *, name: str, organisation: str) -> tuple[x509.Certificate, x509.Certificate]:
        """A signing certificate for ``public_key`` from the test CA, and the CA's certificate."""
        ca, ca_key = self._ca()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.subject)
                       .public_key(public_key).serial_number(x509.random_serial_number())
                       .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1825))
                       .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                       .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                                    key_cert_sign=False, crl_sign=False, key_encipherment=False,
                                                    data_encipherment=False, key_agreement=False,
                                                    encipher_only=False, decipher_only=False), critical=True)
                       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                      critical=False)
                       .sign(ca_key, hashes.SHA256()))
        return certificate, ca

    def _new_test_signer(self, username: str, path: Path, secret: Path, *, name: str, organisation: str) -> KeySource:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate, ca = self._certify(key.public_key(), name=name, organisation=organisation)
        passphrase = secrets.token_urlsafe(24).encode()
        _private(path, pkcs12.serialize_key_and_certificates(
            username.encode(), key, certificate, [ca], serialization.BestAvailableEncryption(passphrase)))
        _private(secret, passphrase)
        return KeySource("pkcs12", path=path, passphrase=passphrase, test=True)
