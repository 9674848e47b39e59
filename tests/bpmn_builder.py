"""Small BPMN documents for tests and benchmarks, built from a few lines instead of hand-written XML."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="defs_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">\n')


def props(**values: str | None) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value={quoteattr(v)}/>'
                    for k, v in values.items() if v is not None)
    return f"<spiffworkflow:properties>{items}</spiffworkflow:properties>" if items else ""


def start(id_: str = "start", inner: str = "") -> str:
    return f'<bpmn:startEvent id="{id_}">{inner}</bpmn:startEvent>'


def end(id_: str = "end", inner: str = "") -> str:
    return f'<bpmn:endEvent id="{id_}">{inner}</bpmn:endEvent>'


def user(id_: str, name: str | None = None, form: str | None = None, ui: str | None = None,
         due: str | None = None, instructions: str | None = None, inner: str = "") -> str:
    ext = props(formJsonSchemaFilename=form, formUiSchemaFilename=ui, dueDate=due)
    if instructions:
        ext += f"<spiffworkflow:instructionsForEndUser>{escape(instructions)}</spiffworkflow:instructionsForEndUser>"
    ext = f"<bpmn:extensionElements>{ext}</bpmn:extensionElements>" if ext else ""
    return f'<bpmn:userTask id="{id_}" name={quoteattr(name or id_)}>{ext}{inner}</bpmn:userTask>'


def script(id_: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{id_}" name="{id_}"><bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>'


def service(id_: str, operation: str, params: dict[str, str] | None = None, result: str | None = None,
            retries: int | None = None) -> str:
    ps = "".join(f'<spiffworkflow:parameter id="{k}" type="any" value={quoteattr(v)}/>'
                 for k, v in (params or {}).items())
    res = f' resultVariable="{result}"' if result else ""
    retry = f'<spiffworkflow:retry retries="{retries}"/>' if retries is not None else ""
    return (f'<bpmn:serviceTask id="{id_}" name="{id_}"><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="{operation}"{res}><spiffworkflow:parameters>{ps}'
            f'</spiffworkflow:parameters>{retry}</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
            f'</bpmn:serviceTask>')


def xor(id_: str, default: str | None = None) -> str:
    d = f' default="{default}"' if default else ""
    return f'<bpmn:exclusiveGateway id="{id_}"{d}/>'


def parallel(id_: str) -> str:
    return f'<bpmn:parallelGateway id="{id_}"/>'


def timer(kind: str, expression: str) -> str:
    """kind: timeDuration | timeDate | timeCycle; the expression is Python (quote string literals)."""
    return (f'<bpmn:timerEventDefinition><bpmn:{kind}>{escape(expression)}</bpmn:{kind}>'
            f'</bpmn:timerEventDefinition>')


def catch(id_: str, definition: str) -> str:
    return f'<bpmn:intermediateCatchEvent id="{id_}" name="{id_}">{definition}</bpmn:intermediateCatchEvent>'


def boundary(id_: str, attached: str, definition: str, interrupting: bool = True) -> str:
    cancel = "true" if interrupting else "false"
    return (f'<bpmn:boundaryEvent id="{id_}" name="{id_}" attachedToRef="{attached}" '
            f'cancelActivity="{cancel}">{definition}</bpmn:boundaryEvent>')


def message_def(ref: str) -> str:
    return f'<bpmn:messageEventDefinition messageRef="{ref}"/>'


def flow(id_: str, source: str, target: str, condition: str | None = None) -> str:
    cond = (f'<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>'
            if condition is not None else "")
    return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def chain(*ids: str, prefix: str = "f") -> list[str]:
    """Sequence flows joining ids in order."""
    return [flow(f"{prefix}_{a}_{b}", a, b) for a, b in zip(ids, ids[1:])]


def lanes(mapping: dict[str, list[str]]) -> str:
    inner = "".join(
        f'<bpmn:lane id="lane_{name}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes) + "</bpmn:lane>"
        for name, nodes in mapping.items())
    return f'<bpmn:laneSet id="laneset">{inner}</bpmn:laneSet>'


def process(pid: str, *parts: str | list[str], name: str | None = None, reportable: str | None = None,
            definitions_extra: str = "", extra_processes: str = "") -> str:
    body = "".join(p if isinstance(p, str) else "".join(p) for p in parts)
    ext = ""
    if reportable:
        ext = f"<bpmn:extensionElements>{props(reportableFields=reportable)}</bpmn:extensionElements>"
    return (HEAD.format(pid=pid) + definitions_extra
            + f'<bpmn:process id="{pid}" name={quoteattr(name or pid)} isExecutable="true">{ext}{body}'
            + "</bpmn:process>" + extra_processes + "</bpmn:definitions>\n")


def simple(pid: str) -> str:
    """The reference process: start, script, user task, exclusive gateway, end."""
    return process(
        pid,
        lanes({"staff": ["review"]}),
        start(), script("calc", "total = amount * 2"),
        user("review", "审核", due='"P3D"'), xor("gw", default="f_no"),
        end("end_yes"), end("end_no"),
        chain("start", "calc", "review", "gw"),
        flow("f_yes", "gw", "end_yes", "approved == True"), flow("f_no", "gw", "end_no"),
        name="Reference process", reportable="amount,total,approved",
    )


def chain_of(pid: str, n: int) -> str:
    """n script tasks in a row: the 30-task chain of the engine benchmark."""
    ids = [f"s{i}" for i in range(n)]
    return process(pid, start(), [script(i, "x = x + 1") for i in ids], end(),
                   chain("start", *ids, "end"))


def loop(pid: str) -> str:
    """A user task that loops while `again` is true: for the cost of a step after many steps."""
    return process(
        pid, start(), user("work"), xor("gw", default="f_done"), end(),
        chain("start", "work", "gw"),
        flow("f_again", "gw", "work", "again == True"), flow("f_done", "gw", "end"),
    )
