"""Demo data of recruiting (filled in below)."""
ACCOUNTS: list = []


def load() -> None:
    return None
