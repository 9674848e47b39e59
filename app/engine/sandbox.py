"""The sandbox for every BPMN script, condition and expression (BPMN files are untrusted input): RestrictedPython
policy and guards, whitelisted builtins and imports (ALLOWED_MODULES), and a time limit per run."""
from __future__ import annotations

import _strptime  # noqa: F401 - datetime.strptime imports it from C code; see _guarded_import
import ast
import datetime
import decimal
import functools
import operator
import sys
import time
import uuid
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, raise_
from RestrictedPython.Guards import safe_builtins, safer_getattr
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment


class SandboxViolation(Exception):
    """The script or expression did something the sandbox does not allow."""


class ScriptTimeout(SandboxViolation):
    """The script or expression ran past its time limit."""


ALLOWED_MODULES: frozenset[str] = frozenset(
    "collections datetime decimal functools itertools json math random re statistics string uuid".split())
_MODULES_TEXT = ", ".join(sorted(ALLOWED_MODULES))
_FILENAME = "<string>"  # SpiffWorkflow looks for this file name in tracebacks to report the failing line
_MAX_INT_BITS, _MAX_ITEMS = 1 << 16, 1_000_000  # about 20,000 decimal digits; items in a range or repetition
# Public parts of allowed modules that would open a hole: update_wrapper/wraps copy any attribute (such as
# __globals__, which leaks real builtins), singledispatch evaluates annotations with eval, uuid1/getnode run `ip`,
# and the shared decimal contexts can be changed in place (clear_traps()) for every later user.
_DENIED_IDS = frozenset(map(id, (functools.update_wrapper, functools.wraps, functools.singledispatch,
                                 functools.singledispatchmethod, uuid.getnode, uuid.uuid1, decimal.DefaultContext,
                                 decimal.BasicContext, decimal.ExtendedContext)))


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


def _guarded_import(name: str, globals=None, locals=None, fromlist=(), level: int = 0) -> ModuleType | None:
    if level == 0 and name in ALLOWED_MODULES:
        module = __import__(name)
        for attr in fromlist or ():
            _guarded_getattr(module, attr)
        return module
    # C code imports through the running frame's __import__ too (date.today() imports time); it only needs
    # the module loaded and ignores what is returned. Scripts never get here: _Policy refuses their imports.
    if level == 0 and not fromlist and name in sys.modules:
        return None
    raise SandboxViolation(f"Importing {name!r} is not allowed. Allowed modules: {_MODULES_TEXT}.")


_OPS = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift} | {op + "=": getattr(operator, "i" + name)
        for op, name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("//", "floordiv"),
                         ("%", "mod"), ("**", "pow"), ("<<", "lshift"), (">>", "rshift"), ("&", "and"),
                         ("|", "or"), ("^", "xor"), ("@", "matmul"))}


def _binop(op: str, a: Any, b: Any) -> Any:
    """`a op b` for ** * << and the in-place operators, refusing results so huge that computing them would hang
    in C code, where no time limit can stop it."""
    kind, ints = op.rstrip("="), isinstance(a, int) and isinstance(b, int)
    if ints and kind == "**":
        too_big = b > 0 and abs(a) > 1 and b * a.bit_length() > _MAX_INT_BITS
    elif ints:
        too_big = (kind == "<<" and a != 0 and b > _MAX_INT_BITS) or (
            kind == "*" and a.bit_length() + b.bit_length() > _MAX_INT_BITS)
    else:
        too_big = kind == "*" and any(isinstance(s, (str, bytes, list, tuple)) and isinstance(n, int)
                                      and len(s) * n > _MAX_ITEMS for s, n in ((a, b), (b, a)))
    if too_big:
        raise SandboxViolation(f"The result of this calculation ({op}) would be too large.")
    return _OPS[op](a, b)


def _range(*args: int) -> range:
    result = range(*args)
    if (result.stop - result.start) // result.step > _MAX_ITEMS:
        raise SandboxViolation(f"range() is limited to {_MAX_ITEMS:,} items.")
    return result


def _refuse(name: str, *args: Any, **kwargs: Any) -> None:
    raise SandboxViolation(f"{name}() is not available in scripts.")


_BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items() if k not in {
    "__build_class__", "setattr", "delattr", "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}}
# Stubs rather than missing names so the author gets a clear message; task data may still use these names.
_BUILTINS.update({name: functools.partial(_refuse, name) for name in (
    "open eval exec compile globals locals vars dir type object input breakpoint help memoryview super setattr "
    "delattr exit quit").split()})
_BUILTINS.update(
    all=all, any=any, ascii=ascii, bin=bin, dict=dict, enumerate=enumerate, filter=filter, format=format,
    frozenset=frozenset, iter=iter, list=list, map=map, max=max, min=min, next=next, reversed=reversed, set=set,
    sorted=sorted, sum=sum, tuple=tuple, zip=zip, getattr=_guarded_getattr, range=_range, __import__=_guarded_import,
    pow=lambda base, exp, mod=None: _binop("**", base, exp) if mod is None else pow(base, exp, mod),
    datetime=datetime, timedelta=datetime.timedelta, Decimal=decimal.Decimal,
)
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS, "_getattr_": _guarded_getattr, "_getitem_": operator.getitem, "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": lambda obj: obj if isinstance(obj, (dict, list)) else full_write_guard(obj),
    "_inplacevar_": _binop, "_binop_": _binop, "_print_": PrintCollector,
    "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
}


def _call(name: str, args: list[ast.expr], where: ast.AST, statement: bool = False) -> ast.AST:
    call = ast.Call(ast.Name(name, ast.Load()), args, [])
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(call) if statement else call, where))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus whitelisted imports, no classes, guarded ** * <<, and a deadline check in each
    loop iteration (Python emits no trace event for `while True: pass`) and except/finally block (Python turns off
    a trace function that raises, so a script that catches ScriptTimeout must not run on unchecked)."""

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> Any:
        modules = ["." * node.level + (node.module or "")] if isinstance(node, ast.ImportFrom) else [
            alias.name for alias in node.names]
        for name in modules:
            if name not in ALLOWED_MODULES:
                self.error(node, f'Importing "{name}" is not allowed. Allowed modules: {_MODULES_TEXT}.')
        return getattr(super(), f"visit_{type(node).__name__}")(node)

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "Class definitions are not allowed.")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        op = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}.get(type(node.op))
        return node if op is None else _call("_binop_", [ast.Constant(op), node.left, node.right], node)

    def _checked(self, node: ast.While | ast.For | ast.ExceptHandler | ast.Try) -> Any:
        node = getattr(super(), f"visit_{type(node).__name__}")(node)
        body = node.finalbody if isinstance(node, ast.Try) else node.body
        if body:
            body.insert(0, _call("_deadline_", [], body[0], statement=True))
        return node

    visit_While = visit_For = visit_ExceptHandler = visit_Try = _checked

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        node = super().visit_comprehension(node)
        node.ifs.insert(0, _call("_deadline_", [], node.iter))  # the check returns True
        return node


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> tuple[CodeType | None, str | None, tuple | None]:
    """(code, problem, SyntaxError args). Compiling under RestrictedPython is slow, hence the cache."""
    if mode not in ("exec", "eval") or not isinstance(source, str):
        raise ValueError(f"expected Python text and mode 'exec' or 'eval', got {type(source).__name__}, {mode!r}")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, _FILENAME, mode)  # eval() strips too
        compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
        result = compiler(tree, _FILENAME, policy=_Policy)
    except SyntaxError as err:
        return None, f"Syntax error on line {err.lineno}: {err.msg}", err.args
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, absurdly deep nesting
        return None, f"The code cannot be compiled: {err}", None
    return (None, " ".join(result.errors), None) if result.errors else (result.code, None, None)


def check_source(source: str, mode: str) -> str | None:
    """mode is 'exec' (script) or 'eval' (expression). None if the code compiles under the sandbox policy,
    else a short message: the syntax error with its line number, or the policy problem."""
    return _compile(source, mode)[1]


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that runs scripts and expressions in the sandbox, with a time limit per run."""

    def __init__(self, time_limit: float = 1.0, environment_globals: dict | None = None) -> None:
        super().__init__(environment_globals)
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """The value of the expression over the task data (the task data dict itself is not changed)."""
        code = self._code(expression, "eval")
        self._prepare_context(context)
        return self._run(code, {**self.globals, **(external_context or {}), **context, **_GUARDS})

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run the script over the task data; its top-level variables become task data. It runs on a copy of
        the top level, so after a failure the task data has the same keys and values as before."""
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        code = self._code(script, "exec")
        self._prepare_context(context)
        namespace = {**context, **self.globals, **external_context, **_GUARDS}
        self._run(code, namespace)
        self._remove_globals_and_functions_from_context(namespace, external_context)
        context.clear()
        context.update((k, v) for k, v in namespace.items() if not isinstance(v, ModuleType))  # imports
        return True

    @staticmethod
    def _code(source: str, mode: str) -> CodeType:
        code, problem, syntax_error_args = _compile(source, mode)
        if problem is not None:
            raise SyntaxError(*syntax_error_args) if syntax_error_args else SandboxViolation(problem)
        return code

    def _run(self, code: CodeType, namespace: dict) -> Any:
        # The deadline is checked by _Policy's checks and on each call into script code by a trace function (works
        # in any thread, unlike signal.alarm); only script frames, where no library code can swallow the timeout.
        limit, deadline = self.time_limit, time.monotonic() + self.time_limit

        def check() -> bool:
            if time.monotonic() > deadline:
                raise ScriptTimeout(f"The script ran longer than its {limit:g} second limit and was stopped.")
            return True

        def trace(frame, event: str, arg: Any) -> None:
            if frame.f_code.co_filename == _FILENAME:
                check()

        namespace["_deadline_"] = check
        previous = sys.gettrace()
        with decimal.localcontext():  # decimal.setcontext() and the like must not outlive the run
            sys.settrace(trace)
            try:
                return eval(code, namespace)  # noqa: S307 - RestrictedPython code; runs 'exec' code objects too
            finally:
                sys.settrace(previous)
