"""Settings of the document pipeline: where keys live, their passphrase, the TSA, fonts, LibreOffice."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@dataclass(frozen=True)
class Pkcs11Settings:
    """Private keys of the signing parties held in a PKCS#11 token (HSM, smart card, softhsm2)."""

    module_path: str
    token_label: str
    user_pin: str = field(repr=False)


@dataclass(frozen=True)
class DocumentSettings:
    key_dir: Path
    key_passphrase: str = field(repr=False)
    # RFC 3161 TSA. "local" = sign timestamps in-process with the installation's TSA certificate (dev only).
    tsa_url: str | None = None
    tsa_timeout_s: float = 10.0
    # Font of the visible signature stamps: a .ttf/.otf, or a .ttc collection (its first face is used).
    font_path: Path = DEFAULT_FONT
    university_name: str = "示范大学"
    university_office: str = "就业指导中心"
    soffice_path: str = "soffice"
    # LibreOffice's UNO bridge exists only for Debian's python3 (python3-uno), not for the venv's python.
    uno_python: str = "/usr/bin/python3"
    conversion_timeout_s: float = 60.0
    office_start_timeout_s: float = 60.0
    # Room for the CMS blob incl. timestamp token, in hex digits (16384 = 8 KB of DER; ours are ~3.8 KB, a
    # commercial TSA's longer chain needs more). Reserving it avoids pyHanko's dry-run signature.
    signature_bytes_reserved: int = 16384
    party_cert_days: int = 3 * 365
    ca_cert_days: int = 20 * 365
    pkcs11: Pkcs11Settings | None = None

    @property
    def passphrase_bytes(self) -> bytes:
        return self.key_passphrase.encode("utf-8")

    @property
    def derived_dir(self) -> Path:
        """Non-secret files made from the settings: the NSS database pdfsig trusts the CA from."""
        return self.key_dir / "derived"

    @classmethod
    def from_env(cls, base_dir: Path, environ: os._Environ | dict | None = None) -> "DocumentSettings":
        env = os.environ if environ is None else environ
        pkcs11 = None
        if env.get("DOCUMENTS_PKCS11_MODULE"):
            pkcs11 = Pkcs11Settings(
                module_path=env["DOCUMENTS_PKCS11_MODULE"],
                token_label=env.get("DOCUMENTS_PKCS11_TOKEN", "bpm-signing"),
                user_pin=env.get("DOCUMENTS_PKCS11_PIN", ""),
            )
        passphrase = env.get("DOCUMENTS_KEY_PASSPHRASE")
        if not passphrase:
            raise ValueError("DOCUMENTS_KEY_PASSPHRASE must be set (it encrypts the signing keys on disk)")
        return cls(
            key_dir=Path(env.get("DOCUMENTS_KEY_DIR", base_dir / "pki")),
            key_passphrase=passphrase,
            tsa_url=env.get("DOCUMENTS_TSA_URL") or None,
            font_path=Path(env.get("DOCUMENTS_FONT_PATH", DEFAULT_FONT)),
            university_name=env.get("DOCUMENTS_UNIVERSITY_NAME", cls.university_name),
            soffice_path=env.get("DOCUMENTS_SOFFICE", cls.soffice_path),
            uno_python=env.get("DOCUMENTS_UNO_PYTHON", cls.uno_python),
            pkcs11=pkcs11,
        )
