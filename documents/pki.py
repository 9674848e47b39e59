"""The installation's PKI: a university root CA issuing one certificate per signing party and one for the TSA.

Layout under settings.key_dir (keys are PKCS#8 PEM encrypted with settings.key_passphrase, mode 0600):
    ca/root.crt.pem  ca/root.key.pem
    parties/<kind>/<party_id>.crt.pem  parties/<kind>/<party_id>.key.pem   (no key file with PKCS#11)
    tsa/tsa.crt.pem  tsa/tsa.key.pem
Every ensure_* call is idempotent and safe between processes on one machine (an flock on key_dir/.lock).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterator

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from documents.settings import DocumentSettings

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RENEW_BEFORE = dt.timedelta(days=30)


class PartyKind(str, Enum):
    STUDENT = "student"
    EMPLOYER = "employer"
    UNIVERSITY = "university"


@dataclass(frozen=True)
class Credential:
    """A certificate on disk and where its private key is: a key file, or a label in the PKCS#11 token."""

    name: str
    cert_path: Path
    certificate: x509.Certificate
    key_path: Path | None
    pkcs11_label: str | None = None


def is_valid_credit_code(code: str) -> bool:
    """统一社会信用代码 (GB 32100-2015): 18 characters, the last one a mod-31 check character."""
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", code or ""):
        return False
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_CODE_WEIGHTS))
    return _CREDIT_CODE_CHARS[(31 - total % 31) % 31] == code[17]


def ensure_ca(settings: DocumentSettings) -> Credential:
    with _locked(settings):
        return _ensure_ca(settings)


def ensure_party_certificate(settings: DocumentSettings, kind: PartyKind | str, party_id: str,
                             display_name: str, *, credit_code: str | None = None,
                             unit: str | None = None) -> Credential:
    """The certificate of a signing party, issued on first call (or when expiring), else the stored one.

    kind student: CN = name, serialNumber = student number, OU = `unit` (college).
    kind employer: O = CN = full name, organizationIdentifier = "NTRCN-" + unified social credit code
    (ETSI EN 319 412-1 form), serialNumber = the code.
    kind university: the seal, O = university, OU = office.
    """
    kind = PartyKind(kind)
    if kind is PartyKind.EMPLOYER and not is_valid_credit_code(credit_code or ""):
        raise ValueError(f"invalid unified social credit code: {credit_code!r}")
    base = settings.key_dir / "parties" / kind.value / _safe_id(party_id)
    with _locked(settings):
        ca = _ensure_ca(settings)
        existing = _load_if_current(base, kind.value + ":" + party_id)
        if existing is not None and _subject_matches(existing.certificate, display_name) \
                and _issued_by(existing.certificate, ca.certificate):
            return existing
        subject = _party_subject(settings, kind, party_id, display_name, credit_code, unit)
        label = f"{kind.value}-{_safe_id(party_id)}"
        if settings.pkcs11 is not None:
            from documents import hsm

            public_key = hsm.ensure_keypair(settings.pkcs11, label)
            key = None
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            public_key = key.public_key()
        builder = _builder(subject, ca.certificate.subject, public_key, settings.party_cert_days)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        builder = _add_key_ids(builder, public_key, ca.certificate)
        cert = builder.sign(load_private_key(settings, ca), hashes.SHA256())
        return _store(settings, base, kind.value + ":" + party_id, cert, key,
                      pkcs11_label=label if key is None else None)


def ensure_tsa_certificate(settings: DocumentSettings) -> Credential:
    """RSA-2048 TSA certificate with the critical extended key usage timeStamping (RFC 3161 §2.3).

    RSA because pyHanko's DummyTimeStamper, which documents.tsa builds on, signs with RSA only.
    """
    base = settings.key_dir / "tsa" / "tsa"
    with _locked(settings):
        ca = _ensure_ca(settings)
        existing = _load_if_current(base, "tsa")
        if existing is not None and _issued_by(existing.certificate, ca.certificate):
            return existing
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.university_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.university_name} 时间戳服务"),
        ])
        builder = _builder(subject, ca.certificate.subject, key.public_key(), settings.party_cert_days)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        builder = _add_key_ids(builder, key.public_key(), ca.certificate)
        cert = builder.sign(load_private_key(settings, ca), hashes.SHA256())
        return _store(settings, base, "tsa", cert, key)


def load_private_key(settings: DocumentSettings, credential: Credential) -> PrivateKey:
    if credential.key_path is None:
        raise ValueError(f"{credential.name}: the private key is in the PKCS#11 token, not on disk")
    key = serialization.load_pem_private_key(credential.key_path.read_bytes(), password=settings.passphrase_bytes)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise TypeError(f"{credential.name}: unsupported key type {type(key).__name__}")
    return key


def load_certificate(path: str | Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def ca_certificate_path(settings: DocumentSettings) -> Path:
    return settings.key_dir / "ca" / "root.crt.pem"


def _ensure_ca(settings: DocumentSettings) -> Credential:
    base = settings.key_dir / "ca" / "root"
    existing = _load_if_current(base, "ca")
    if existing is not None:
        return existing
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.university_name),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.university_name} 电子签名根证书"),
    ])
    builder = _builder(name, name, key.public_key(), settings.ca_cert_days)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    return _store(settings, base, "ca", builder.sign(key, hashes.SHA256()), key)


def _party_subject(settings: DocumentSettings, kind: PartyKind, party_id: str, display_name: str,
                   credit_code: str | None, unit: str | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if kind is PartyKind.STUDENT:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.university_name))
        if unit:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, party_id))
    elif kind is PartyKind.EMPLOYER:
        assert credit_code is not None
        attrs += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, display_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{credit_code}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, credit_code),
        ]
    else:
        attrs += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.university_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit or settings.university_office),
        ]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, display_name))
    return x509.Name(attrs)


def _subject_matches(cert: x509.Certificate, display_name: str) -> bool:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(names) and names[0].value == display_name


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False  # issued by an earlier CA (the root was renewed): issue anew


def _builder(subject: x509.Name, issuer: x509.Name, public_key, days: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days)))


def _add_key_ids(builder: x509.CertificateBuilder, public_key, issuer: x509.Certificate) -> x509.CertificateBuilder:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (builder
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False))


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names})


def _safe_id(party_id: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", party_id):
        return party_id
    return "h-" + hashlib.sha256(party_id.encode("utf-8")).hexdigest()[:32]


def _load_if_current(base: Path, name: str) -> Credential | None:
    cert_path = base.with_name(base.name + ".crt.pem")
    if not cert_path.exists():
        return None
    cert = load_certificate(cert_path)
    if cert.not_valid_after_utc - _RENEW_BEFORE < dt.datetime.now(dt.timezone.utc):
        return None
    key_path = base.with_name(base.name + ".key.pem")
    label_path = base.with_name(base.name + ".pkcs11")
    if key_path.exists():
        return Credential(name, cert_path, cert, key_path)
    if label_path.exists():
        return Credential(name, cert_path, cert, None, label_path.read_text().strip())
    return None


def _store(settings: DocumentSettings, base: Path, name: str, cert: x509.Certificate,
           key: PrivateKey | None, pkcs11_label: str | None = None) -> Credential:
    base.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = base.with_name(base.name + ".key.pem")
    label_path = base.with_name(base.name + ".pkcs11")
    # Key first, certificate last: a certificate on disk always has its key beside it.
    if key is not None:
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(settings.passphrase_bytes))
        _write_atomic(key_path, pem, 0o600)
        label_path.unlink(missing_ok=True)
    else:
        _write_atomic(label_path, (pkcs11_label or "").encode(), 0o644)
        key_path.unlink(missing_ok=True)
    cert_path = base.with_name(base.name + ".crt.pem")
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return Credential(name, cert_path, cert, key_path if key is not None else None, pkcs11_label)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(settings: DocumentSettings) -> Iterator[None]:
    settings.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(settings.key_dir / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
