"""The engine's deploy problems (app/engine/definitions.py, validation.py: plain English, one sentence each) in the
reader's language for the modeler's validate and deploy answers (with the modeler's own two sentences about
the draft, app/modeler/drafts.py). Each known sentence is a pattern whose parts (names, lines,
expressions) are kept as written; a sentence not known here (SpiffWorkflow's own) is shown as the engine gave it.
"""
from __future__ import annotations

import re
from flask_babel import lazy_gettext as _l

_Q = r"'(?P<{}>[^']*)'"  # a name the engine quotes with repr()

#: (the engine's sentence as a pattern, the translation: its named parts fill the %(...)s)
_PATTERNS: tuple[tuple[re.Pattern[str], object], ...] = tuple((re.compile(p + r"\Z", re.S), t) for p, t in (
    (r"file name must end in \.bpmn and use letters, digits, - _ \. only",
     _l("The file name must end in .bpmn and use only letters, digits, - _ and .")),
    (r"file is larger than (?P<size>\d+ [KM]iB)", _l("The file is larger than %(size)s.")),
    (r"XML is not well-formed: (?P<detail>.*)", _l("The XML is not well-formed: %(detail)s")),
    (r"XML schema, line (?P<line>\d+): (?P<detail>.*)",
     _l("Not valid BPMN XML (line %(line)s): %(detail)s")),
    (r"no executable process in file", _l("The file holds no executable process (isExecutable=\"true\").")),
    (r"calls process " + _Q.format("process") + r", which is neither in this deployment nor in the BPMN folders",
     _l("It calls the process “%(process)s”, which is neither in this deployment nor among the deployed files.")),
    (r"call activity calls " + _Q.format("process") + r" again \((?P<chain>.*)\): a process may not call itself, "
     r"directly or through others",
     _l("The call activity calls “%(process)s” again (%(chain)s): a process may not call itself, directly or "
        "through others.")),
    (r"script language " + _Q.format("language") + r" is not supported: scripts are Python",
     _l("The script language “%(language)s” is not supported: scripts are written in Python.")),
    (r"script task without a script", _l("The script task has no script.")),
    (r"call activity without a calledElement \(the process it calls\)",
     _l("The call activity does not name the process it calls (calledElement).")),
    (r"(?P<attr>sourceRef|targetRef|attachedToRef) " + _Q.format("ref") + r" is not an element of this file",
     _l("%(attr)s “%(ref)s” is not an element of this file.")),
    (r"(?P<attr>\w+Ref) " + _Q.format("ref") + r": no bpmn:(?P<kind>\w+) with that id in this file",
     _l("%(attr)s “%(ref)s”: this file has no %(kind)s with that id.")),
    (r"data stores are not supported .*",
     _l("Data stores are not supported: keep the data in task data or in the platform's own tables.")),
    (r"condition " + _Q.format("condition") + r" is a Camunda \(JUEL\) expression: write it in Python, e\.g\. "
     r"amount > 100",
     _l("The condition “%(condition)s” is a Camunda (JUEL) expression: write it in Python, e.g. amount > 100.")),
    (r"unknown form file " + _Q.format("name") + r" \((?P<key>[^)]*)\)",
     _l("The form file “%(name)s” does not exist (%(key)s).")),
    (r"unknown service operation " + _Q.format("name"),
     _l("Unknown service operation “%(name)s”.")),
    (r"Camunda 8 \(Zeebe\) files cannot run here.*",
     _l("Camunda 8 (Zeebe) files cannot run here: save the diagram for Camunda Platform 7, or with "
        "SpiffWorkflow's modeler.")),
    (r"this element uses camunda: extensions in a file with spiffworkflow: extensions.*",
     _l("This element uses camunda: extensions in a file with spiffworkflow: extensions: use one modeler per "
        "file.")),
    (r"not UTF-8 text", _l("The file is not UTF-8 text.")),
    (r"invalid JSON at line (?P<line>\d+) column (?P<column>\d+): (?P<detail>.*)",
     _l("Invalid JSON at line %(line)s, column %(column)s: %(detail)s")),
    (r"the file must hold one executable process with the id " + _Q.format("process") + r" \(it holds (?P<ids>.*)\)",
     _l("The file must hold one executable process with the id “%(process)s” (it holds: %(ids)s).")),
    (r"lane " + _Q.format("lane") + r" is no role's lane \(roles have: (?P<lanes>.*)\)",
     _l("The lane “%(lane)s” is no role's lane (the roles have: %(lanes)s).")),
    (r"(?P<what>.+?) (?P<source>'.*') fails: (?P<detail>.*)",
     _l("%(what)s %(source)s fails without any task data: %(detail)s")),
))


def translate_problem(text: str) -> str:
    """One problem sentence in the reader's language (as the engine wrote it when no pattern knows it)."""
    for pattern, template in _PATTERNS:
        match = pattern.match(text)
        if match is not None:
            params = match.groupdict()
            return str(template % params) if params else str(template)
    return text

