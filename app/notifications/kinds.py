"""Kinds of notification. A kind says what the notification says (English message ids of the catalogue, with
%(name)s parameters); which channels carry it, per role, is configuration (config/notifications.toml).
An area defines the kinds it sends and lists them in its registration (`Area.notification_kinds`):

    from app.notifications.kinds import N_, Kind
    OFFER = Kind("agreement.offer_received", N_("New offer from %(employer)s"),
                 N_("%(employer)s offers you the position %(position)s. Please answer by %(deadline)s."))

Parameters are plain values, or `translated(text)` for a text that is itself in the catalogue (a BPMN task
name, a form's option label) and `moment(dt)` for a date and time shown in the reader's time zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def N_(text: str) -> str:
    """Marks a message id for extraction (pybabel's default keywords include N_); translated when shown."""
    return text


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    body: str | None = None


_kinds: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Make `kind` known to notify() (done for each area's `notification_kinds` when the app starts)."""
    existing = _kinds.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {kind.name!r} registered twice with different texts")
    _kinds[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r} (list it in its area's notification_kinds)") from None


def registered_kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda k: k.name)


def translated(text: str | None) -> dict | str:
    """A parameter that is itself a message id (e.g. a BPMN task name): translated for each reader."""
    return {"t": text} if text else ""


def moment(value: datetime | None) -> dict | str:
    """A parameter that is a point in time: shown in the reader's time zone and language."""
    return {"dt": value.isoformat()} if value else ""
