"""The area contract: what a business area registers with the platform, and the registry that wires it in.

An area is a package `app/<name>/` (or any importable package) with a module `area.py` that defines
`AREA = Area(...)`; registering it is one line in `AREAS` (config/settings.py). From that one object the
platform takes, at application start:

- its BPMN folder (`bpmn/<name>/`) and forms folder (`forms/<name>/`), deployed and looked up with the others;
- the modules whose `@operation` functions its service tasks call (`tasks/<name>.py`);
- its blueprints (each with its own `templates/` folder) and CLI commands;
- its permissions file (`app/<name>/permissions.toml`, merged into the policy: app/identity/policy.py);
- its menu entries, demo data (with the demo data it must follow), report definitions and periodic jobs;
- the scope keys its instances and tasks carry (who else may see them: a college, an employer...), and
  where a user's values of a key come from (scope providers);
- the kinds of notification it sends, what its tasks mean when they become someone's (task notices), and
  the live-event channels its pages listen to, with who may listen (docs/notifications.md, docs/live.md).

docs/areas.md walks through a whole area; tests/toy_area/ is one, registered in tests only.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask, current_app

ROOT = Path(__file__).resolve().parents[2]
EXTENSION_KEY = "bpm.areas"
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class AreaError(Exception):
    """An area that cannot be registered (bad name, missing folder, a clash with another area)."""


@dataclass(frozen=True)
class NavEntry:
    """A link in the top bar (`place="main"`, for signed-in users with `permission`) or in the footer
    (`place="footer"`, for everyone; `anonymous_only` hides it once signed in)."""

    label: Any  # a lazy_gettext string
    endpoint: str
    permission: str | None = None
    place: str = "main"
    order: int = 100
    anonymous_only: bool = False
    badge: Callable[[Any], int] | None = None  # principal -> a count shown beside the label (0: none)


@dataclass(frozen=True)
class ReportDefinition:
    """A report the reporting package will compute from the process history (app/reporting, later).

    `process_keys`: the processes whose history it reads; `fields`: the reportable data fields it uses
    (declared in the BPMN's `reportableFields` property); `group_by`: the fields or scope keys it breaks
    down by; `permission`: who may read it."""

    key: str
    title: Any
    permission: str
    process_keys: tuple[str, ...]
    fields: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    description: Any = ""


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler's leader enqueues every `every_s` seconds (a sweep, a digest). `func` is the
    dotted path of an RQ entry point in tasks/ that takes no arguments and is safe to run twice."""

    name: str
    func: str
    every_s: int


@dataclass(frozen=True)
class ScopeProvider:
    """Where a scope key's values come from for a user (docs/areas.md, Scope keys). `values_of(user)`: the
    values the account holds (a counselor's colleges); `holders(value)`: a SELECT of the ids of the accounts
    holding that value (the value as the engine keeps it: text), for the assignee picker and notices. A
    role with `scope = "<key>"` then sees the instances and group tasks whose scope `key` is one of them."""

    key: str
    values_of: Callable[[Any], Iterable[int | str]]
    holders: Callable[[str], Any]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoData:
    """A demo data loader: `load()` is idempotent (it adds what is missing); `accounts` are the demo
    accounts it makes (printed by `make run`); `after` names the loaders whose data it needs ("identity" is
    the university's directory)."""

    name: str
    load: Callable[[], None]
    accounts: tuple[DemoAccount, ...] = ()
    after: tuple[str, ...] = ("identity",)


@dataclass(frozen=True)
class DocumentLink:
    """A document to show: its name, the URL that serves it inline (`?download=1`: as an attachment) and its
    content type (PDF and images get a preview)."""

    name: str
    url: str
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class TaskDocument:
    """The document some user tasks are about (the agreement a signing task signs): the task page shows it,
    previewed, with a download link, above the form. `find(task_data)` gives a DocumentLink, or None while
    there is none; the URL it names checks access itself."""

    process_key: str
    task_spec_ids: tuple[str, ...]
    find: Callable[[dict], DocumentLink | None]


@dataclass(frozen=True)
class Area:
    name: str
    label: Any
    package: str
    blueprints: tuple[Blueprint, ...] = ()
    operations: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    demo: DemoData | None = None
    reports: tuple[ReportDefinition, ...] = ()
    cli: tuple[click.Command, ...] = ()
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    scope_keys: tuple[str, ...] = ()
    scope_providers: tuple[ScopeProvider, ...] = ()  # scope keys it supplies users' values for
    notification_kinds: tuple[Any, ...] = ()  # app.notifications.Kind: what it may notify(...) people of
    task_notices: tuple[Any, ...] = ()  # app.notifications.TaskNotice: its tasks' own "new task" texts
    live_channels: tuple[Any, ...] = ()  # app.platform.live.LiveChannel: channel prefixes and who may listen
    task_documents: tuple[TaskDocument, ...] = ()  # documents its tasks are about, shown on the task page
    # Anything else to do with the app at start (context processors, template filters); rarely needed.
    setup: Callable[[Flask], None] | None = None
    # Folders; by default bpmn/<name>/, forms/<name>/ and <package>/permissions.toml (None: the area has none).
    bpmn_dir: Path | None = field(default=None)
    forms_dir: Path | None = field(default=None)
    permissions_file: Path | None = field(default=None)

    @property
    def package_dir(self) -> Path:
        return Path(importlib.import_module(self.package).__file__).resolve().parent

    def resolved_bpmn_dir(self) -> Path | None:
        return self.bpmn_dir or _existing(ROOT / "bpmn" / self.name)

    def resolved_forms_dir(self) -> Path | None:
        return self.forms_dir or _existing(ROOT / "forms" / self.name)

    def resolved_permissions_file(self) -> Path | None:
        return self.permissions_file or _existing(self.package_dir / "permissions.toml")


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def load_area(module_path: str) -> Area:
    """The `AREA` of a registration module ("app.agreements.area")."""
    module = importlib.import_module(module_path)
    area = getattr(module, "AREA", None)
    if not isinstance(area, Area):
        raise AreaError(f"{module_path} defines no AREA = Area(...)")
    if not _NAME.match(area.name):
        raise AreaError(f"{module_path}: area name {area.name!r} must be lower_case letters, digits, _")
    return area


class Registry:
    """The registered areas of one application, and what they add up to."""

    def __init__(self, areas: Sequence[Area]):
        names = [a.name for a in areas]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise AreaError(f"areas registered twice: {', '.join(duplicates)}")
        self.areas = tuple(areas)
        self.bpmn_dirs = [d for a in self.areas if (d := a.resolved_bpmn_dir()) is not None]
        self.forms_dirs = [d for a in self.areas if (d := a.resolved_forms_dir()) is not None]
        _unique_files(self.bpmn_dirs, "*.bpmn", "BPMN file")
        _unique_files(self.forms_dirs, "*.json", "form file")
        #: scope key -> its provider (two areas providing one key stop the start)
        self.scope_providers: dict[str, ScopeProvider] = {}
        for provider in (p for a in self.areas for p in a.scope_providers):
            if provider.key in self.scope_providers:
                raise AreaError(f"scope key {provider.key!r} is provided twice")
            self.scope_providers[provider.key] = provider

    @property
    def permission_files(self) -> list[Path]:
        return [f for a in self.areas if (f := a.resolved_permissions_file()) is not None]

    @property
    def operation_modules(self) -> list[str]:
        return [m for a in self.areas for m in a.operations]

    def nav(self, place: str = "main") -> list[NavEntry]:
        return sorted((e for a in self.areas for e in a.nav if e.place == place), key=lambda e: e.order)

    @property
    def reports(self) -> list[ReportDefinition]:
        return [r for a in self.areas for r in a.reports]

    @property
    def periodic_jobs(self) -> list[PeriodicJob]:
        return [j for a in self.areas for j in a.periodic_jobs]

    def task_documents(self, process_key: str, task_spec_id: str, task_data: dict) -> list[DocumentLink]:
        """The documents a task is about (Area.task_documents), those that exist yet."""
        found = (d.find(task_data) for a in self.areas for d in a.task_documents
                 if d.process_key == process_key and task_spec_id in d.task_spec_ids)
        return [link for link in found if link is not None]

    def demo_loaders(self) -> list[DemoData]:
        """Every demo loader, each after the ones it names (a cycle or an unknown name is an error)."""
        loaders = {a.demo.name: a.demo for a in self.areas if a.demo is not None}
        ordered: list[DemoData] = []
        state: dict[str, str] = {}

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if state.get(name) == "done":
                return
            if name not in loaders:
                raise AreaError(f"demo data {chain[-1]!r} needs {name!r}, which no area provides")
            if state.get(name) == "visiting":
                raise AreaError(f"demo data order has a cycle: {' -> '.join((*chain, name))}")
            state[name] = "visiting"
            for before in loaders[name].after:
                visit(before, (*chain, name))
            state[name] = "done"
            ordered.append(loaders[name])

        for name in loaders:
            visit(name, ())
        return ordered

    def demo_accounts(self) -> list[DemoAccount]:
        return [account for loader in self.demo_loaders() for account in loader.accounts]

    def register(self, app: Flask) -> None:
        """Wire the areas into `app` (blueprints, CLI, folders, operation modules, live channels). The
        notification centre takes the areas' notification kinds and task notices itself (its own setup)."""
        from app.platform.live import register_channel

        app.extensions[EXTENSION_KEY] = self
        for area in self.areas:
            for channel in area.live_channels:
                register_channel(channel.prefix, channel.rule)
            for blueprint in area.blueprints:
                app.register_blueprint(blueprint)
            for command in area.cli:
                app.cli.add_command(command)
            if area.setup is not None:
                area.setup(app)
        app.config["BPMN_DIRS"] = list(self.bpmn_dirs)
        app.config["FORMS_DIRS"] = list(self.forms_dirs)
        app.config["OPERATION_MODULES"] = tuple(dict.fromkeys(
            [*app.config.get("OPERATION_MODULES", ()), *self.operation_modules]))


def _unique_files(directories: Iterable[Path], pattern: str, what: str) -> None:
    """BPMN and form files are found by file name alone (a task names its form file; a definition keeps its
    file name), so one name may exist in one area only."""
    seen: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.glob(pattern)):
            if path.name in seen:
                raise AreaError(f"{what} {path.name} is in {seen[path.name].parent} and in {directory}")
            seen[path.name] = path


def registry() -> Registry:
    """The registry of the current application."""
    return current_app.extensions[EXTENSION_KEY]
