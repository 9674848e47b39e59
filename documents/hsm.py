"""Party keys in a PKCS#11 token (an HSM, a smart card, or softhsm2 in development) via python-pkcs11.

Keys are generated inside the token (never exported); documents.pki certifies their public halves.
One session per (module, token) per process, opened on first use.
"""
from __future__ import annotations

import threading

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign.pkcs11 import PKCS11Signer

from documents.settings import Pkcs11Settings

_SESSIONS: dict[tuple[str, str], pkcs11.Session] = {}
_LOCK = threading.Lock()


def session_for(cfg: Pkcs11Settings) -> pkcs11.Session:
    key = (cfg.module_path, cfg.token_label)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            token = pkcs11.lib(cfg.module_path).get_token(token_label=cfg.token_label)
            # read-write: ensure_keypair generates keys in the token
            session = _SESSIONS[key] = token.open(rw=True, user_pin=cfg.user_pin)
        return session


def ensure_keypair(cfg: Pkcs11Settings, label: str) -> ec.EllipticCurvePublicKey:
    """The public key (a cryptography object) of the P-256 key pair `label`, generated in the token if absent."""
    session = session_for(cfg)
    with _LOCK:
        found = list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: label}))
        if found:
            public = found[0]
        else:
            params = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
            public, _private = params.generate_keypair(store=True, label=label, id=label.encode("utf-8"))
        key = serialization.load_der_public_key(encode_ec_public_key(public))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key


def pkcs11_signer(cfg: Pkcs11Settings, label: str, cert: asn1_x509.Certificate,
                  chain: list[asn1_x509.Certificate]) -> PKCS11Signer:
    # Raw CKM_ECDSA over a digest computed here: softhsm2 (and some HSMs) lack CKM_ECDSA_SHA256.
    return PKCS11Signer(session_for(cfg), signing_cert=cert, key_label=label, ca_chain=chain,
                        other_certs_to_pull=None, bulk_fetch=False, use_raw_mechanism=True)


def close_sessions() -> None:
    with _LOCK:
        for session in _SESSIONS.values():
            session.close()
        _SESSIONS.clear()
