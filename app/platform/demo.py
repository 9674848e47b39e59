"""Demo data: every registered loader (the directory's first, then each area's after the ones it needs)."""
from __future__ import annotations

from app.platform.areas import DemoAccount, registry


def load_demo_data() -> list[DemoAccount]:
    """Run every demo loader in order (each is idempotent); the demo accounts, in loading order."""
    for loader in registry().demo_loaders():
        loader.load()
    return registry().demo_accounts()
