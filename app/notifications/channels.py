"""Channels besides the in-app centre, and which of them carry which kind to whom (config/notifications.toml).

A channel adapter implements `Channel`: say whether it is set up on this installation, where a user is
reached (an e-mail address, a phone number, a WeChat open id) and send one rendered message. `send` raises
`TemporaryFailure` for what may work later (retried with backoff) and `PermanentFailure` for what never
will (an address the server refuses). Adapters know nothing of notifications' tables or jobs.
"""
from __future__ import annotations

import importlib
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app

CONFIG_FILE = Path(__file__).resolve().parents[2] / "config" / "notifications.toml"


class TemporaryFailure(Exception):
    """Sending failed but may work later (server unreachable, 4xx answer)."""


class PermanentFailure(Exception):
    """Sending can never work as asked (the address is refused, 5xx answer)."""


@dataclass(frozen=True)
class Recipient:
    user_id: int
    display_name: str
    email: str | None
    locale: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification, rendered in the recipient's language, for one address."""
    delivery_id: int
    address: str
    recipient: Recipient
    title: str
    body: str
    link: str | None  # absolute URL


class Channel(ABC):
    name: str = ""

    @abstractmethod
    def available(self) -> bool:
        """Set up on this installation (e.g. an SMTP server is configured)."""

    @abstractmethod
    def address(self, recipient: Recipient) -> str | None:
        """Where this channel reaches the recipient; None: it cannot."""

    @abstractmethod
    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message; raise TemporaryFailure or PermanentFailure."""


@dataclass(frozen=True)
class Routing:
    adapters: dict[str, str]
    default: dict[str, tuple[str, ...]]
    kinds: dict[str, dict[str, tuple[str, ...]]]

    def channels_for(self, kind: str, roles: Iterable[str]) -> list[str]:
        table = self.kinds.get(kind, self.default)
        found: list[str] = []
        for role in list(roles) or ["*"]:
            for channel in table.get(role, table.get("*", ())):
                if channel not in found:
                    found.append(channel)
        return found


@lru_cache(maxsize=4)
def load_routing(path: Path = CONFIG_FILE) -> Routing:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    adapters = {name: spec["adapter"] for name, spec in raw.get("channels", {}).items()}

    def table(spec: dict, where: str) -> dict[str, tuple[str, ...]]:
        for role, channels in spec.items():
            unknown = [c for c in channels if c not in adapters]
            if unknown:
                raise ValueError(f"{path.name}: {where}.{role} names unknown channels {unknown}")
        return {role: tuple(channels) for role, channels in spec.items()}

    return Routing(adapters, table(raw.get("default", {}), "default"),
                   {kind: table(spec, f"kinds.{kind}") for kind, spec in raw.get("kinds", {}).items()})


def routing() -> Routing:
    return load_routing(Path(current_app.config.get("NOTIFICATIONS_CONFIG", CONFIG_FILE)))


def channel(name: str) -> Channel:
    """The configured adapter of a channel (one instance per app)."""
    cache = current_app.extensions.setdefault("notification_channels", {})
    found = cache.get(name)
    if found is None:
        module_name, _, class_name = routing().adapters[name].partition(":")
        found = cache[name] = getattr(importlib.import_module(module_name), class_name)()
        found.name = name
    return found
