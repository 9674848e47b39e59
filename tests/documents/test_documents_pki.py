"""The installation PKI: idempotent, encrypted keys, subjects per party kind."""
from __future__ import annotations

import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from documents import pki
from documents.settings import DocumentSettings


@pytest.fixture()
def settings(tmp_path) -> DocumentSettings:
    return DocumentSettings(key_dir=tmp_path / "pki", key_passphrase="pass-词")


def test_ca_is_created_once_and_keys_are_encrypted(settings):
    ca = pki.ensure_ca(settings)
    assert pki.ensure_ca(settings).certificate == ca.certificate
    pem = ca.key_path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert ca.key_path.stat().st_mode & 0o077 == 0
    with pytest.raises((ValueError, TypeError)):
        serialization.load_pem_private_key(pem, password=b"wrong")
    basic = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca


def test_party_certificates_by_kind(settings):
    student = pki.ensure_party_certificate(settings, "student", "2021010203", "张三丰", unit="计算机学院")
    assert pki.ensure_party_certificate(settings, "student", "2021010203", "张三丰") == student
    subject = student.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三丰"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "2021010203"
    usage = student.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    student.certificate.verify_directly_issued_by(pki.ensure_ca(settings).certificate)

    employer = pki.ensure_party_certificate(settings, "employer", "E1", "北京星河科技有限公司",
                                            credit_code="91110108MA01ABCD2H")
    org_id = employer.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    assert org_id[0].value == "NTRCN-91110108MA01ABCD2H"
    with pytest.raises(ValueError, match="credit code"):
        pki.ensure_party_certificate(settings, "employer", "E2", "某公司", credit_code="91110108MA01ABCD2X")

    renamed = pki.ensure_party_certificate(settings, "student", "2021010203", "张三")
    assert renamed.certificate != student.certificate  # a changed name gets a new certificate


def test_tsa_certificate_has_critical_timestamping_eku(settings):
    tsa = pki.ensure_tsa_certificate(settings)
    eku = tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert pki.ensure_tsa_certificate(settings).certificate == tsa.certificate


def test_concurrent_ensure_gives_one_certificate(settings):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        pki.ensure_party_certificate(settings, "university", "seal", "示范大学就业指导中心"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.certificate.serial_number for r in results}) == 1


def test_unsafe_party_ids_become_hashed_file_names(settings):
    credential = pki.ensure_party_certificate(settings, "student", "../../etc/x", "某人")
    assert credential.cert_path.parent == settings.key_dir / "parties" / "student"
    assert credential.cert_path.name.startswith("h-")


def test_credit_code_check_character():
    assert pki.is_valid_credit_code("91110108MA01ABCD2H")
    assert not pki.is_valid_credit_code("91110108MA01ABCD2I")
    assert not pki.is_valid_credit_code("")
