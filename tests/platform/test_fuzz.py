"""No 5xx, ever (issue 8.8): every GET route of the url_map (all areas) with hostile path and query values and
every POST route with hostile form values, as every role and anonymously. The parameter names come from the
code itself (every `args.get("…")`, `params.integer(args, "…")`, `name="…"` of a template), so a new
parameter is fuzzed without editing this file. On an app of its own: posted forms may change its data."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.models import ProcessDefinition
from tests.conftest import BACKENDS, ROOT, drop_app, make_app
from tests.web import ROLE_USERS, Web

pytestmark = pytest.mark.one_backend

ROLES = [None, *ROLE_USERS.values()]
# Hostile values of ids in paths (the strict converter: no route, 404) and of text in paths.
PATH_INTS = ["2147483648", "99999999999999999999", "%C2%B2", "%D9%A3", "0"]
PATH_TEXT = ["%00", "a%00b", "%C2%B2", "x" * 600, "..%2F..%2Fetc%2Fpasswd", "%FF%FE", "'%20OR%201=1--", "%0A"]
# Hostile values of query and form parameters.
VALUES = ["2147483648", "²", "-1", "a\x00b", "0001-01-01", "9999-12-31", "x" * 3000]
SKIP_POSTS = {"/logout", "/login"}  # the client's own session; the login throttle is tested elsewhere
PATH_ROLES = (ROLE_USERS["admin"], ROLE_USERS["student"])  # ids are parsed before any access rule
_NAME_PATTERNS = [
    re.compile(r"""(?:args|values|form)\.get(?:list)?\(\s*["']([A-Za-z_]\w*)["']"""),
    re.compile(r"""params\.\w+\(\s*(?:request\.)?\w+,\s*["']([A-Za-z_]\w*)["']"""),
    re.compile(r"""\bnumber\(\s*["']([A-Za-z_]\w*)["']"""),
]
_TEMPLATE_NAMES = re.compile(r"""\bname=["']([A-Za-z_][\w.]*)["']""")


def _names_in(files) -> set[str]:
    names: set[str] = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in _NAME_PATTERNS:
            names.update(pattern.findall(text))
    return names


def _code_names() -> list[str]:
    return sorted(_names_in((ROOT / "app").rglob("*.py")))


def _names_of_view(app, endpoint: str) -> list[str]:
    """The parameters the view's package reads (its routes, queries, helpers) and the platform's."""
    module = Path(sys.modules[app.view_functions[endpoint].__module__].__file__)
    package = module.parent if module.parent.name != "routes" else module.parent.parent
    return sorted(_names_in([*package.rglob("*.py"), *(ROOT / "app" / "platform").glob("*.py")]))


def _form_names() -> list[str]:
    names = set(_code_names())
    for path in (ROOT / "app").rglob("*.html"):
        names.update(n for n in _TEMPLATE_NAMES.findall(path.read_text(encoding="utf-8")) if "{" not in n)
    return sorted(names - {"csrf_token"})


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_app(request, tmp_path_factory, redis_url):
    app, schema = make_app(request.param, tmp_path_factory.mktemp(f"fuzz-{request.param}"), redis_url)
    from app.engine import deploy_directory
    from app.platform.demo import load_demo_data

    with app.app_context():
        deploy_directory()
        load_demo_data()
    yield Web(app)
    drop_app(app, schema)


def _benign(web: Web) -> dict[str, str]:
    key = web.scalar(select(ProcessDefinition.process_key).limit(1))
    return {"int": "1", "process_key": key, "task_guid": "00000000-0000-0000-0000-000000000000",
            "name": "x.bpmn", "token": "x", "filename": "x.css"}


def _rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/static"):
            yield rule


def _path(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for arg, converter in rule._converters.items():
        kind = type(converter).__name__
        value = values.get(arg) or (values["int"] if "Integer" in kind else values.get("text", "x"))
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
    return path


def _paths(rule, benign: dict[str, str]):
    """The route with benign values, then each argument hostile in turn."""
    base = {**benign, **{a: benign.get(a, "") for a in rule.arguments}}
    yield _path(rule, base)
    for arg, converter in rule._converters.items():
        if type(converter).__name__ == "AnyConverter":
            continue
        hostile = PATH_INTS if "Integer" in type(converter).__name__ else PATH_TEXT
        for value in hostile:
            yield _path(rule, {**base, arg: value})


def _check(resp, what: str, failures: list[str]) -> None:
    if resp.status_code == 503 and what.split()[1].startswith("/healthz"):
        return  # the health report's own answer: no worker runs beside this test
    if resp.status_code >= 500:
        failures.append(f"{resp.status_code} {what}")


def _rotations(names: list[str]):
    """len(VALUES) parameter sets in which every name takes every hostile value once (all names at once keeps
    the request count low; the rotation keeps one name's 400 from always hiding the same value of another)."""
    for k in range(len(VALUES)):
        yield {name: VALUES[(i + k) % len(VALUES)] for i, name in enumerate(names)}


def test_no_get_route_answers_5xx_to_hostile_paths_and_parameters(fuzz_app):
    web = fuzz_app
    benign = _benign(web)
    failures: list[str] = []
    rules = sorted(_rules(web.app, "GET"), key=lambda r: r.rule)
    seen = 0
    for user in ROLES:
        client = web.client(user)
        for rule in rules:
            paths = list(_paths(rule, benign))
            first = client.get(paths[0])
            _check(first, f"GET {paths[0]} as {user}", failures)
            if user in PATH_ROLES:
                for path in paths[1:]:
                    _check(client.get(path), f"GET {path} as {user}", failures)
            if first.status_code != 200:
                continue  # refused or redirected before any parameter is read
            seen += 1
            for query in _rotations(_names_of_view(web.app, rule.endpoint)):
                _check(client.get(paths[0], query_string=query), f"GET {paths[0]}?{query} as {user}", failures)
            resp = client.get(paths[0] + "?page=%FF%FE&q=%C0%AF")  # not UTF-8
            _check(resp, f"GET {paths[0]}?<invalid UTF-8> as {user}", failures)
    assert not failures, "\n".join(failures[:60])
    assert seen > 60  # the roles reached their pages with the benign values


def test_no_form_answers_5xx_to_hostile_values(fuzz_app):
    web = fuzz_app
    fields = _form_names()
    benign = _benign(web)
    failures: list[str] = []
    rules = sorted(_rules(web.app, "POST"), key=lambda r: r.rule)
    for user in ROLES:
        client = web.client(user)
        for rule in rules:
            if rule.rule in SKIP_POSTS:
                continue
            paths = list(_paths(rule, benign))
            if user in PATH_ROLES:
                for path in paths[1:]:
                    _check(client.post(path, data={}), f"POST {path} as {user}", failures)
            for data in _rotations(fields):
                resp = client.post(paths[0], data=data)
                _check(resp, f"POST {paths[0]} {sorted(data.items())[:3]}... as {user}", failures)
    assert not failures, "\n".join(failures[:60])
