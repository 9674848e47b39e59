"""The documents pipeline's settings (signing keys, time-stamping, font, the university's name, LibreOffice)
from the app's configuration: one object per configuration and process, for every area that renders or seals
documents."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from documents.settings import DEFAULT_FONT, DocumentSettings

_SETTINGS: dict[tuple, DocumentSettings] = {}
_SETTINGS_LOCK = threading.Lock()


def document_settings() -> DocumentSettings:
    """The documents pipeline's settings from the app config (one object per configuration and process)."""
    cfg = current_app.config
    var_dir = Path(cfg["VAR_DIR"])
    key = (str(cfg.get("DOCUMENTS_KEY_DIR") or var_dir / "pki"), cfg["DOCUMENTS_KEY_PASSPHRASE"],
           cfg.get("TSA_URL") or None, str(cfg.get("DOCUMENTS_FONT_PATH") or DEFAULT_FONT),
           cfg["UNIVERSITY_NAME"], cfg["UNIVERSITY_OFFICE"],
           cfg.get("DOCUMENTS_SOFFICE", "soffice"))
    with _SETTINGS_LOCK:
        settings = _SETTINGS.get(key)
        if settings is None:
            key_dir, passphrase, tsa_url, font, name, office, soffice = key
            settings = _SETTINGS[key] = DocumentSettings(
                key_dir=Path(key_dir), key_passphrase=passphrase, tsa_url=tsa_url, font_path=Path(font),
                university_name=name, university_office=office, soffice_path=soffice)
        return settings
