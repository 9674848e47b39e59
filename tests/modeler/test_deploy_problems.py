"""The engine's reasons for refusing a deployment reach the process owner in their language (the sentences the
engine writes in English are translated; their names and expressions stay as written)."""
from __future__ import annotations

import re

from app import engine
from app.engine import Source
from app.modeler.deploy_problems import translate_problem

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="x">
  <bpmn:process id="broken_demo" name="有问题的流程" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="js" name="脚本" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:callActivity id="call" name="调用" calledElement="nowhere_process"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="js"/>
    <bpmn:sequenceFlow id="f2" sourceRef="js" targetRef="call"/>
    <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="missing_end"/>
  </bpmn:process>
</bpmn:definitions>
"""
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_deploy_problems_read_in_chinese_with_their_names_kept(web):
    with web.app.test_request_context("/"):
        problems = engine.check([Source("broken.bpmn", BPMN.encode())], library=[])
        assert problems
        shown = {m: translate_problem(m) for _f, _e, m in problems}
    by_text = "\n".join(shown.values())
    assert "“javascript”" in by_text and "Python" in by_text  # the script language, named as written
    assert "“missing_end”" in by_text  # the flow's unknown target
    for english, translated in shown.items():
        assert CHINESE.search(translated), f"not translated: {english}"
    assert translate_problem("something SpiffWorkflow says") == "something SpiffWorkflow says"


def test_the_modelers_own_draft_problems_are_translated_too(web):
    with web.app.test_request_context("/"):
        lane = translate_problem("lane 'dean' is no role's lane (roles have: counselor, staff)")
        ids = translate_problem("the file must hold one executable process with the id 'abc' (it holds none)")
    assert lane == "泳道“dean”不是任何角色的泳道（角色的泳道有：counselor, staff）。"
    assert ids == "文件中须有且只有一个 id 为“abc”的可执行流程（现有：none）。"
