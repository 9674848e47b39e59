"""The boundaries of docs/areas.md hold (import-linter, contracts in .importlinter): only app.engine imports
SpiffWorkflow; domain modules import no Flask and no SQLAlchemy; areas use each other only through their
services and queries; the generic packages know no area; routes import no models and not documents/."""
from __future__ import annotations

import configparser
import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
CONTRACTS = {
    "engine-only-spiff", "pure-domain", "areas-through-services", "core-knows-no-area", "routes-no-models",
    "platform-bottom",
}


def test_every_boundary_contract_is_configured():
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    names = {section.split(":", 2)[2] for section in parser.sections() if section.startswith("importlinter:contract:")}
    assert names == CONTRACTS


def test_the_code_keeps_its_boundaries():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(config_filename=str(CONFIG), no_cache=True) == 0
    finally:
        os.chdir(cwd)
