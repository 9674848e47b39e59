"""The sandbox policy for every BPMN script, condition and expression (BPMN files are untrusted input):
RestrictedPython compilation and guards, whitelisted builtins and imports (ALLOWED_MODULES).

The code runs in the evaluator processes (app/engine/evaluator.py), which add the hard time and memory limits of
the operating system; this module is loaded there on its own, so it imports only the standard library and
RestrictedPython."""
from __future__ import annotations

import _strptime  # noqa: F401 - datetime.strptime imports it from C code; see _guarded_import
import ast
import datetime
import decimal
import functools
import operator
import random
import sys
import uuid
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, raise_
from RestrictedPython.Guards import safe_builtins, safer_getattr
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES


class SandboxViolation(Exception):
    """The script or expression did something the sandbox does not allow."""


class LimitExceeded(SandboxViolation):
    """The script or expression went past a hard limit and its evaluator process was stopped."""


class ScriptTimeout(LimitExceeded):
    """The script or expression ran past its time limit."""


class ScriptMemoryError(LimitExceeded):
    """The script or expression needed more memory than its limit."""


class EvaluatorCrashed(SandboxViolation):
    """The evaluator process died while running the script (a signal other than the limits' own)."""


ALLOWED_MODULES: frozenset[str] = frozenset(
    "collections datetime decimal functools itertools json math random re statistics string uuid".split())
_MODULES_TEXT = ", ".join(sorted(ALLOWED_MODULES))
FILENAME = "<string>"  # SpiffWorkflow looks for this file name in tracebacks to report the failing line
_MAX_INT_BITS, _MAX_ITEMS = 1 << 16, 1_000_000  # about 20,000 decimal digits; items in a range or repetition
# Public parts of allowed modules that would open a hole: update_wrapper/wraps copy any attribute (such as
# __globals__, which leaks real builtins), singledispatch evaluates annotations with eval, uuid1/getnode run `ip`,
# and state shared with every later script in the same evaluator process: the decimal contexts can be changed in
# place (clear_traps()), and seeding the module's random generator would make other instances' numbers predictable.
_DENIED_IDS = frozenset(map(id, (functools.update_wrapper, functools.wraps, functools.singledispatch,
                                 functools.singledispatchmethod, uuid.getnode, uuid.uuid1, decimal.DefaultContext,
                                 decimal.BasicContext, decimal.ExtendedContext, random.seed, random.setstate)))


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


def _binop_call(op: str, node: ast.BinOp) -> ast.AST:
    call = ast.Call(ast.Name("_binop_", ast.Load()), [ast.Constant(op), node.left, node.right], [])
    return ast.fix_missing_locations(ast.copy_location(call, node))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus whitelisted imports, no classes, and guarded ** * << (results too large to
    compute are refused with a clear message before the hard limits would stop them)."""

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
        return node if op is None else _binop_call(op, node)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> tuple[CodeType | None, str | None, tuple | None]:
    """(code, problem, SyntaxError args). Compiling under RestrictedPython is slow, hence the cache."""
    if mode not in ("exec", "eval") or not isinstance(source, str):
        raise ValueError(f"expected Python text and mode 'exec' or 'eval', got {type(source).__name__}, {mode!r}")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, FILENAME, mode)  # eval() strips too
        compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
        result = compiler(tree, FILENAME, policy=_Policy)
    except SyntaxError as err:
        return None, f"Syntax error on line {err.lineno}: {err.msg}", err.args
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, absurdly deep nesting
        return None, f"The code cannot be compiled: {err}", None
    return (None, " ".join(result.errors), None) if result.errors else (result.code, None, None)


def check_source(source: str, mode: str) -> str | None:
    """mode is 'exec' (script) or 'eval' (expression). None if the code compiles under the sandbox policy,
    else a short message: the syntax error with its line number, or the policy problem."""
    return _compile(source, mode)[1]


def compiled(source: str, mode: str) -> CodeType:
    """The code object for the source; SyntaxError or SandboxViolation when the policy refuses it."""
    code, problem, syntax_error_args = _compile(source, mode)
    if problem is not None:
        raise SyntaxError(*syntax_error_args) if syntax_error_args else SandboxViolation(problem)
    return code


def _run(code: CodeType, namespace: dict) -> Any:
    with decimal.localcontext():  # decimal.setcontext() and the like must not outlive the run
        return eval(code, namespace)  # noqa: S307 - RestrictedPython code; runs 'exec' code objects too


def evaluate(source: str, context: dict, external: dict | None = None, env_globals: dict | None = None) -> Any:
    """The value of the expression over the task data (`context`), data objects (`external`) and the environment's
    globals. Nothing passed in is changed by the run itself."""
    return _run(compiled(source, "eval"), {**(env_globals or {}), **(external or {}), **context, **_GUARDS})


def execute(source: str, context: dict, external: dict | None = None, env_globals: dict | None = None) -> dict:
    """Run the script; the task data it leaves: its top-level variables less functions, modules, the globals and
    data objects (as SpiffWorkflow's TaskDataEnvironment does). `context` itself is not changed."""
    external, env_globals = external or {}, env_globals or {}
    namespace = {**context, **env_globals, **external, **_GUARDS}
    _run(compiled(source, "exec"), namespace)
    return {k: v for k, v in namespace.items() if k != "__builtins__" and not callable(v)
            and not isinstance(v, ModuleType) and k not in env_globals and k not in external}


@functools.lru_cache(maxsize=4096)
def names_read(source: str, mode: str) -> frozenset[str]:
    """Every name the code (with its functions, lambdas and comprehensions) may read or write as a variable, and
    more (attribute names too). Compiled under the policy, code can reach task data only by naming it."""
    names: set[str] = set()
    stack = [compiled(source, mode)]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(const for const in code.co_consts if isinstance(const, CodeType))
    return frozenset(names)


# -- expressions that are safe to evaluate anywhere ------------------------------------------------------------

SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_SAFE_NODES = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.And, ast.Or,
               ast.UnaryOp, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot)


@functools.lru_cache(maxsize=4096)
def trivial_names(source: str) -> frozenset[str] | None:
    """The names an expression reads if it is provably harmless to evaluate without limits, else None.

    Harmless: the expression is built only of literals (str, int, float, bool, None), names, comparisons
    (== != < <= > >= is, is not), and/or/not, and it compiles under the policy. Evaluated only when every name it
    reads holds a value of exactly one of those scalar types (`SCALARS`), it runs at most one C-level comparison
    or truth test per node, each linear in the size of its operands, with no call, attribute, subscript,
    arithmetic, iteration or allocation: it cannot loop, grow memory or reach anything but the given values.
    `"P3D"`, `approved == True`, `amount > 100 and not urgent` qualify; anything else goes to an evaluator.
    """
    if not isinstance(source, str) or _compile(source, "eval")[0] is None:
        return None
    tree = ast.parse(source.strip(), FILENAME, "eval")
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, _SAFE_NODES):
            return None
        if isinstance(node, ast.Constant) and type(node.value) not in SCALARS:
            return None
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            return None
        if isinstance(node, ast.Name):
            names.add(node.id)
    return frozenset(names)


def evaluate_trivial(source: str, values: dict) -> Any:
    """Evaluate an expression `trivial_names` accepted; `values` maps each of its names to a scalar."""
    return eval(compiled(source, "eval"), {"__builtins__": {}, **values})  # noqa: S307 - see trivial_names
