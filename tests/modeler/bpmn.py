"""BPMN and DMN documents for the modeler's tests, written the way the modeler writes them (a pool with lanes,
the platform's spiffworkflow extensions)."""
from __future__ import annotations

import json

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}" targetNamespace="t">
"""


def props(**values: str) -> str:
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    return f"<spiffworkflow:properties>{inner}</spiffworkflow:properties>"


def user(id_: str, form: str | None = "review.json", lane_extra: str = "") -> str:
    properties = props(formJsonSchemaFilename=form, formUiSchemaFilename=form.replace(".json", ".ui.json")) if form else ""
    return f'<bpmn:userTask id="{id_}" name="{id_}"><bpmn:extensionElements>{properties}' \
           f'<spiffworkflow:instructionsForEndUser>请**审核**</spiffworkflow:instructionsForEndUser>' \
           f'</bpmn:extensionElements></bpmn:userTask>'


def flow(id_: str, source: str, target: str, condition: str | None = None) -> str:
    body = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>'


def process(key: str, body: str, lanes: dict[str, list[str]] | None = None, name: str = "测试流程",
            extra: str = "") -> str:
    lane_xml = ""
    if lanes:
        lane_xml = '<bpmn:laneSet id="lanes">' + "".join(
            f'<bpmn:lane id="lane_{name_}" name="{name_}">' + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
            + "</bpmn:lane>" for name_, nodes in lanes.items()) + "</bpmn:laneSet>"
    return (HEAD.format(key=key) + extra + f'<bpmn:process id="{key}" name="{name}" isExecutable="true">'
            + lane_xml + body + "</bpmn:process></bpmn:definitions>")


def review_form(title: str = "审核") -> dict[str, str]:
    schema = {"title": title, "type": "object", "required": ["decision"],
              "properties": {"decision": {"type": "string", "title": "意见", "enum": ["approve", "reject"],
                                          "enumNames": ["同意", "不同意"]},
                             "score": {"type": "integer", "title": "评分"}}}
    ui = {"ui:order": ["decision", "score"], "decision": {"ui:widget": "radio"}}
    return {"review.json": json.dumps(schema, ensure_ascii=False), "review.ui.json": json.dumps(ui)}


def two_step(key: str, second: str = "approve") -> str:
    """start -> review (staff) -> <second> (staff) -> end"""
    return process(key, '<bpmn:startEvent id="start"/>' + user("review") + user(second) + '<bpmn:endEvent id="end"/>'
                   + flow("f1", "start", "review") + flow("f2", "review", second) + flow("f3", second, "end"),
                   lanes={"staff": ["start", "review", second, "end"]})


DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(decision_id: str, rules: list[tuple[str, str]], input_expression: str = "score") -> str:
    rows = "".join(
        f'<rule id="rule_{i}"><inputEntry id="in_{i}"><text>{lhs}</text></inputEntry>'
        f'<outputEntry id="out_{i}"><text>{out}</text></outputEntry></rule>' for i, (lhs, out) in enumerate(rules))
    return (f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{DMN_NS}" id="d_{decision_id}" '
            f'name="routing" namespace="http://bpmn.io/schema/dmn"><decision id="{decision_id}" name="路由">'
            f'<decisionTable id="t_{decision_id}" hitPolicy="UNIQUE"><input id="i_{decision_id}" label="score">'
            f'<inputExpression id="ie_{decision_id}" typeRef="integer"><text>{input_expression}</text></inputExpression>'
            f'</input><output id="o_{decision_id}" label="route" name="route" typeRef="string"/>{rows}'
            f"</decisionTable></decision></definitions>")


def with_decision(key: str, decision_id: str) -> str:
    """start -> review (form: decision, score) -> business rule task -> gateway on route -> two user tasks"""
    body = ('<bpmn:startEvent id="start"/>' + user("review")
            + f'<bpmn:businessRuleTask id="route_it" name="定路由"><bpmn:extensionElements>'
              f"<spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>"
              "</bpmn:extensionElements></bpmn:businessRuleTask>"
            + '<bpmn:exclusiveGateway id="gw" default="to_normal"/>'
            + user("fast_track") + user("normal") + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>'
            + flow("f1", "start", "review") + flow("f2", "review", "route_it") + flow("f3", "route_it", "gw")
            + flow("to_fast", "gw", "fast_track", 'route == "fast"') + flow("to_normal", "gw", "normal")
            + flow("f4", "fast_track", "end") + flow("f5", "normal", "end2"))
    return process(key, body, lanes={"staff": ["start", "review", "route_it", "gw", "fast_track", "normal", "end",
                                               "end2"]})
