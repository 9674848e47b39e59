"""pyHanko signers of the parties, built once per process and credential (the PKCS#8 key is decrypted once).

With settings.pkcs11 the key stays in the token and the signer is pyHanko's PKCS11Signer on one session.
"""
from __future__ import annotations

import threading

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from documents import pki
from documents.settings import DocumentSettings


class PreloadedKeySigner(SimpleSigner):
    """SimpleSigner that keeps the parsed key object (SimpleSigner re-parses the DER key per signature)."""

    def __init__(self, signing_cert: asn1_x509.Certificate, key: pki.PrivateKey,
                 chain: list[asn1_x509.Certificate]):
        key_info = keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        super().__init__(signing_cert=signing_cert, signing_key=key_info,
                         cert_registry=SimpleCertificateStore.from_certs(chain))
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        return super().sign_raw(data, digest_algorithm)


_CACHE: dict[tuple, Signer] = {}
_CACHE_LOCK = threading.Lock()


def signer_for(settings: DocumentSettings, credential: pki.Credential) -> Signer:
    """The cached signer of a credential issued by documents.pki."""
    key = (str(credential.cert_path), credential.certificate.fingerprint(hashes.SHA256()))
    with _CACHE_LOCK:
        signer = _CACHE.get(key)
        if signer is None:
            signer = _CACHE[key] = _build(settings, credential)
        return signer


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def as_asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _build(settings: DocumentSettings, credential: pki.Credential) -> Signer:
    ca = pki.ensure_ca(settings)
    cert, chain = as_asn1(credential.certificate), [as_asn1(ca.certificate)]
    if credential.pkcs11_label is not None:
        if settings.pkcs11 is None:
            raise ValueError(f"{credential.name}: key is in a PKCS#11 token but settings.pkcs11 is not set")
        from documents import hsm

        return hsm.pkcs11_signer(settings.pkcs11, credential.pkcs11_label, cert, chain)
    return PreloadedKeySigner(cert, pki.load_private_key(settings, credential), chain)
