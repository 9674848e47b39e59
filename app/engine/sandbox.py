"""The sandbox every BPMN script, condition and expression runs in (BPMN files are untrusted input).

RestrictedPython compiles the code (no underscore names, guarded attribute/item access and writes), the
builtins are a short whitelist, imports are limited to ALLOWED_MODULES, and sys.settrace enforces a time limit.
"""
from __future__ import annotations

import ast
import datetime
import functools
import operator
import sys
import time
import uuid
from decimal import Decimal
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence, guarded_unpack_sequence, raise_, safe_builtins, safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

__all__ = ["ALLOWED_MODULES", "SandboxEnvironment", "SandboxViolation", "ScriptTimeout", "check_source"]


class SandboxViolation(Exception):
    """The script or expression did something the sandbox does not allow."""


class ScriptTimeout(SandboxViolation):
    """The script or expression ran past its time limit."""


ALLOWED_MODULES: frozenset[str] = frozenset({
    "collections", "datetime", "decimal", "functools", "itertools", "json", "math", "random", "re",
    "statistics", "string", "uuid",
})

_FILENAME = "<string>"  # SpiffWorkflow looks for this file name in tracebacks to report the failing line
_MAX_INT_BITS = 1 << 16  # about 20,000 decimal digits
_MAX_ITEMS = 1_000_000
# Public callables of allowed modules that would open a hole: update_wrapper/wraps copy arbitrary attributes
# (such as __globals__), singledispatch evaluates annotations with plain eval, uuid1/getnode may run `ip`.
_DENIED_IDS = frozenset(map(id, (
    functools.update_wrapper, functools.wraps, functools.singledispatch, functools.singledispatchmethod,
    uuid.getnode, uuid.uuid1,
)))
_MUTATORS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "sort",
    "reverse", "add", "discard", "difference_update", "intersection_update", "symmetric_difference_update",
})


def _guarded_getattr(obj: Any, name: str, default: Any = raise_) -> Any:
    if not isinstance(name, str) or name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise SandboxViolation(f"Access to the attribute {name!r} is not allowed.")
    try:
        value = safer_getattr(obj, name, default)
    except NotImplementedError as err:  # str.format and string.Formatter
        raise SandboxViolation(str(err)) from None
    if (isinstance(value, ModuleType) and value.__name__ not in ALLOWED_MODULES) or id(value) in _DENIED_IDS:
        raise SandboxViolation(f"Access to {name!r} is not allowed.")
    return value


def _eval_getattr(obj: Any, name: str, default: Any = raise_) -> Any:
    """Like _guarded_getattr, but an expression must not change the task data it reads."""
    cls = obj if isinstance(obj, type) else type(obj)
    if name in _MUTATORS and issubclass(cls, (dict, list, set)):
        raise SandboxViolation(f"An expression cannot change data: .{name}() is not allowed here.")
    return _guarded_getattr(obj, name, default)


def _guarded_hasattr(obj: Any, name: str) -> bool:
    try:
        _guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


def _guarded_import(name: str, globals=None, locals=None, fromlist=(), level: int = 0) -> ModuleType:
    # C code (e.g. datetime.strptime loading _strptime) imports through the current frame's __import__.
    # Scripts themselves can never name a private module: RestrictedPython refuses `import _x` when compiling.
    if name.startswith("_") and not fromlist and level == 0:
        return __import__(name)
    if level != 0 or name not in ALLOWED_MODULES:
        raise SandboxViolation(
            f"Importing {name!r} is not allowed. Allowed modules: {', '.join(sorted(ALLOWED_MODULES))}.")
    module = __import__(name)
    for attr in fromlist or ():
        _guarded_getattr(module, attr)
    return module


def _too_big(op: str, a: Any, b: Any) -> bool:
    """Would `a op b` build a huge number or sequence? That work runs in C, where the time limit cannot stop it."""
    ints = isinstance(a, int) and isinstance(b, int)
    if op == "**":
        return ints and b > 0 and abs(a) > 1 and b * a.bit_length() > _MAX_INT_BITS
    if op == "<<":
        return ints and a != 0 and b > _MAX_INT_BITS
    if op == "*":
        if ints:
            return a.bit_length() + b.bit_length() > _MAX_INT_BITS
        return any(isinstance(s, (str, bytes, list, tuple)) and isinstance(n, int) and len(s) * n > _MAX_ITEMS
                   for s, n in ((a, b), (b, a)))
    return False


_BINOPS = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift}
_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}


def _binop(op: str, a: Any, b: Any) -> Any:
    if _too_big(op, a, b):
        raise SandboxViolation(f"The result of this calculation ({op}) would be too large.")
    return _BINOPS[op](a, b)


def _inplacevar(op: str, a: Any, b: Any) -> Any:
    if _too_big(op[:-1], a, b):
        raise SandboxViolation(f"The result of this calculation ({op}) would be too large.")
    return _INPLACE[op](a, b)


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    return _binop("**", base, exp) if mod is None else pow(base, exp, mod)


def _range(*args: int) -> range:
    result = range(*args)
    try:
        too_long = len(result) > _MAX_ITEMS
    except OverflowError:
        too_long = True
    if too_long:
        raise SandboxViolation(f"range() is limited to {_MAX_ITEMS:,} items.")
    return result


class _ReadOnly:
    """What _write_ hands back for objects other than dicts and lists: any change is refused."""
    __slots__ = ("_kind",)

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_kind", type(obj).__name__)

    def _refuse(self, *args: Any) -> None:
        raise SandboxViolation(f"Scripts cannot modify {self._kind} objects.")

    __setitem__ = __delitem__ = __setattr__ = __delattr__ = _refuse


def _write_guard(obj: Any) -> Any:
    return obj if isinstance(obj, (dict, list)) else _ReadOnly(obj)


def _forbidden(name: str):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise SandboxViolation(f"{name}() is not available in scripts.")
    return refuse


_HIDDEN = {"__build_class__", "setattr", "delattr", "BaseException", "SystemExit", "KeyboardInterrupt",
           "GeneratorExit"}
_BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items() if k not in _HIDDEN}
# Stubs rather than absent names, so the author gets a clear message; task data may still shadow them.
_BUILTINS.update({name: _forbidden(name) for name in (
    "open", "eval", "exec", "compile", "globals", "locals", "vars", "dir", "type", "object", "input",
    "breakpoint", "help", "memoryview", "super", "setattr", "delattr", "exit", "quit",
)})
_BUILTINS.update(
    all=all, any=any, ascii=ascii, bin=bin, dict=dict, enumerate=enumerate, filter=filter, format=format,
    frozenset=frozenset, iter=iter, list=list, map=map, max=max, min=min, next=next, reversed=reversed,
    set=set, sorted=sorted, sum=sum, tuple=tuple, zip=zip, getattr=_guarded_getattr, hasattr=_guarded_hasattr,
    pow=_pow, range=_range, __import__=_guarded_import, datetime=datetime, timedelta=datetime.timedelta,
    Decimal=Decimal,
)
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS, "_getattr_": _guarded_getattr, "_getitem_": operator.getitem, "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write_guard, "_inplacevar_": _inplacevar, "_binop_": _binop, "_print_": PrintCollector,
    "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
}
_EVAL_GUARDS = {**_GUARDS, "_getattr_": _eval_getattr,
                "__builtins__": {**_BUILTINS, "getattr": _eval_getattr}}


def _call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    call = ast.Call(ast.Name(name, ast.Load()), args, [])
    return ast.fix_missing_locations(ast.copy_location(call, where))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: whitelisted imports, no classes, guarded ** * <<, and a deadline
    check at the start of every except/finally block (a trace function that raises is switched off by
    Python, so a script that catches ScriptTimeout must not get to run on untraced)."""

    def _check_module(self, node: ast.AST, name: str) -> None:
        if name not in ALLOWED_MODULES:
            self.error(node, f'Importing "{name}" is not allowed. '
                             f'Allowed modules: {", ".join(sorted(ALLOWED_MODULES))}.')

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self._check_module(node, "." * node.level + (node.module or ""))
        return super().visit_ImportFrom(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "Class definitions are not allowed.")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        op = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}.get(type(node.op))
        return node if op is None else _call("_binop_", [ast.Constant(op), node.left, node.right], node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_deadline_", [], node)), node))
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        node = super().visit_Try(node)
        if node.finalbody:
            first = node.finalbody[0]
            node.finalbody.insert(0, ast.copy_location(ast.Expr(_call("_deadline_", [], first)), first))
        return node


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> tuple[CodeType | None, str | None, tuple | None]:
    """(code, problem, SyntaxError args); compiling under RestrictedPython is slow, hence the cache."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        return None, f"Expected Python text, got {type(source).__name__}.", None
    if mode == "eval":
        source = source.strip()  # as eval() does; BPMN text often carries surrounding whitespace
    try:
        tree = ast.parse(source, _FILENAME, mode)
    except SyntaxError as err:
        return None, f"Syntax error on line {err.lineno}: {err.msg}", err.args
    except (ValueError, RecursionError, MemoryError) as err:
        return None, f"The code cannot be read: {err}", None
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compiler(tree, _FILENAME, policy=_Policy)
    except (RecursionError, MemoryError):
        return None, "The code is too deeply nested.", None
    if result.errors:
        return None, " ".join(result.errors), None
    return result.code, None, None


def check_source(source: str, mode: str) -> str | None:
    """mode is 'exec' (script) or 'eval' (expression). None if the code compiles under the sandbox
    policy, else a short message (syntax error with its line number, or the policy problem)."""
    return _compile(source, mode)[1]


def _compiled(source: str, mode: str) -> CodeType:
    code, problem, syntax_args = _compile(source, mode)
    if syntax_args is not None:
        raise SyntaxError(*syntax_args)
    if problem is not None:
        raise SandboxViolation(problem)
    return code


class _Deadline:
    """Per-run time limit through sys.settrace, which works in any thread (signal.alarm needs the main one)."""
    __slots__ = ("limit", "at")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.at = time.monotonic() + limit

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise ScriptTimeout(f"The script ran longer than its {self.limit:g} second limit and was stopped.")

    def trace(self, frame, event: str, arg: Any):
        # Only the script's own frames: raising inside library code could be swallowed by its except clauses.
        if frame.f_code.co_filename != _FILENAME:
            return None
        if event in ("call", "line"):
            self.check()
        return self.trace


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that runs scripts and expressions in the sandbox, with a time limit per run."""

    def __init__(self, time_limit: float = 1.0, environment_globals: dict | None = None) -> None:
        super().__init__(environment_globals)
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """The value of the expression over the task data (which is not changed)."""
        code = _compiled(expression, "eval")
        self._prepare_context(context)
        namespace = {**self.globals, **(external_context or {}), **context, **_EVAL_GUARDS}
        return self._run(code, namespace)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run the script over the task data; its top-level variables become task data. The script runs on
        a copy of the top level, so a failed script leaves the task data's keys as they were."""
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        code = _compiled(script, "exec")
        self._prepare_context(context)
        namespace = {**context, **self.globals, **external_context, **_GUARDS}
        self._run(code, namespace)
        self._remove_globals_and_functions_from_context(namespace, external_context)
        context.clear()
        context.update(namespace)
        return True

    def _run(self, code: CodeType, namespace: dict) -> Any:
        deadline = _Deadline(self.time_limit)
        namespace["_deadline_"] = deadline.check
        previous = sys.gettrace()
        sys.settrace(deadline.trace)
        try:
            return eval(code, namespace)  # noqa: S307 - RestrictedPython code; runs 'exec' code objects too
        finally:
            sys.settrace(previous)

    def _remove_globals_and_functions_from_context(self, context: dict, external_context: dict | None = None):
        super()._remove_globals_and_functions_from_context(context, external_context)
        for key in [k for k, v in context.items() if isinstance(v, ModuleType)]:
            del context[key]
