"""Sealing a small statement (an evidence chain's head) with a detached CMS signature carrying an RFC 3161
signature timestamp, and checking such a seal. No Flask: keys and the TSA come from DocumentSettings.

The statement's bytes are kept beside the seal (``<name>.json`` / ``<name>.p7s``): `openssl cms -verify
-binary -inform DER -in <name>.p7s -content <name>.json -CAfile ca.pem` checks the same signature.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from asn1crypto import cms
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from documents import signers
from documents.pki import Credential
from documents.settings import DocumentSettings
from documents.tsa import timestamper_for
from documents.verify import TrustRoot, _as_asn1


@dataclass(frozen=True)
class SealReport:
    intact: bool  # the signature covers exactly these statement bytes
    trusted: bool  # signed by a certificate issued by a trusted root
    signer: str
    timestamp: datetime | None  # the TSA's time of the signature (None: no valid timestamp)

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.timestamp is not None


def seal(statement: bytes, credential: Credential, settings: DocumentSettings) -> bytes:
    """A detached CMS signature over ``statement`` (DER) with the configured TSA's timestamp token."""
    signer = signers.signer_for(settings, credential)
    info = asyncio.run(signer.async_sign_general_data(statement, "sha256", detached=True,
                                                      timestamper=timestamper_for(settings)))
    return info.dump()


def check(statement: bytes, sealed: bytes, trust_roots: Iterable[TrustRoot]) -> SealReport:
    """Whether ``sealed`` is an intact, trusted and timestamped signature over ``statement``."""
    roots = [_as_asn1(root) for root in trust_roots]
    try:
        signed_data = cms.ContentInfo.load(sealed)["content"]
        signed_data.native  # noqa: B018 - parses fully: malformed DER fails here
    except ValueError:
        return SealReport(False, False, "", None)
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    ts_context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    status = asyncio.run(async_validate_detached_cms(statement, signed_data, signer_validation_context=context,
                                                     ts_validation_context=ts_context))
    subject = status.signing_cert.subject if status.signing_cert is not None else None
    ts = status.timestamp_validity
    stamped = ts is not None and ts.intact and ts.valid and ts.trusted
    return SealReport(intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
                      signer=str(subject.native.get("common_name", subject.human_friendly)) if subject else "",
                      timestamp=ts.timestamp if stamped else None)


def write(directory: Path, name: str, statement: bytes, sealed: bytes) -> Path:
    """Store a statement and its seal (each written whole, then renamed into place); returns the seal's path."""
    import os

    directory.mkdir(parents=True, exist_ok=True)
    for suffix, data in ((".json", statement), (".p7s", sealed)):
        final = directory / f"{name}{suffix}"
        partial = directory / f"{name}{suffix}.{os.getpid()}.part"
        partial.write_bytes(data)
        os.replace(partial, final)
    return directory / f"{name}.p7s"
