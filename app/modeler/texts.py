"""The modeler pages' JavaScript texts, translated on the server (one catalogue for the whole product).

The scripts look a text up by its English source; the page hands them this table as JSON.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

_MODELER = [
    _l("(always)"), _l("(no form)"), _l("A date and time like 2026-09-01T09:00, or an expression over task data."),
    _l("A decision with this id exists already."),
    _l("A duration like P3D (from when the task opens), a date like 2026-07-01, or an expression."),
    _l("A duration like PT1H or P3D, or an expression over task data."),
    _l("A form with this file name exists already."),
    _l("A repetition like R3/PT1H, or an expression over task data."), _l("Add a parameter (name)"),
    _l("Add field"), _l("Add option"), _l("After a duration"), _l("Apply"), _l("Apply to draft"),
    _l("At a date and time"), _l("Choose a field."), _l("Close"), _l("Condition"), _l("Condition (Python expression)"),
    _l("Correlation keys"), _l("Create"), _l("Decision"), _l("Decision id (letters, digits, _)"),
    _l("Decision table"), _l("Due"), _l("Edit decision table"), _l("Edit form"), _l("Field settings"), _l("Fields"),
    _l("File name (lower-case letters, digits, _)"), _l("Form"), _l("Form title"), _l("Form title (English)"),
    _l("Give a name and an id made of letters, digits and _."),
    _l("Give a title and a file name made of lower-case letters, digits and _."), _l("Help"), _l("Help (English)"),
    _l("Inbox summary"),
    _l("What each inbox row shows about a task: label=task data key, comma separated (Student=student_name, "
       "Number=agreement_number). Searchable."),
    _l("Instructions (Markdown)"), _l("Instructions as the user sees them"), _l("JSON"), _l("JSON Schema"),
    _l("Key (task data name)"), _l("Label"), _l("Label (English)"), _l("Lane the starter plays"), _l("Message"),
    _l("Message name"),
    _l("Messages with the same name meet: a send or throw and the catch that waits for it."), _l("Move down"),
    _l("Move up"), _l("Name"), _l("New decision table"), _l("New form"), _l("No"),
    _l("No decision tables yet: add one from a business rule task."), _l("No fields yet: add one below."),
    _l("Not deployed."), _l("Not valid JSON"), _l("Open code editor"), _l("Operation"), _l("Options"),
    _l("Preview"), _l("Preview instructions"), _l("Python expression over task data"), _l("Remove"),
    _l("Repeatedly (cycle)"), _l("Reportable fields"), _l("Required"), _l("Required only when"),
    _l("Only a time in the future"),
    _l("Result variable"), _l("Role"), _l("Script"), _l("Script (Python)"), _l("Service operation"),
    _l("Shown only when"), _l("Starting the process"), _l("Stored value"), _l("Task"),
    _l("Task data key the operation's result is stored under."),
    _l("Task data keys (comma separated) kept for reports when the process ends."),
    _l("Task data keys (comma separated) that pick the waiting instance, e.g. agreement_id."),
    _l("Tasks in this lane go to the people of this role (within their scope)."),
    _l("The diagram could not be opened: %(error)s"), _l("The draft was not saved."),
    _l("The file was opened with %(n)s warnings."),
    _l("The first task in this lane goes to the person who started the process."),
    _l('The flow is taken when this is true, e.g. decision == "approve".'),
    _l("The form %(name)s could not be read."), _l("The preview failed."), _l("The test run did not start."),
    _l("This form uses JSON Schema features the visual editor does not show (nested groups, lists of rows, "
       "other conditions): edit it in the JSON view."),
    _l("Timer"), _l("Timer kind"), _l("Timer value"), _l("Title"), _l("Type"), _l("UI schema"),
    _l("Use this JSON"), _l("Validation failed."), _l("Visual"), _l("Yes"), _l("e.g. 实习申请"), _l("e.g. 审核路由"),
    _l("in this draft"), _l("is"), _l("library (forms/): editing makes a copy in this draft"), _l("missing"),
    _l("no role has this lane"), _l("unknown"),
]

# bpmn-js's own labels (palette, context pad, the "change element" menu), asked for by its translate service
# (app/modeler/assets/translate.js); tests/modeler/test_texts.py checks the list against the installed bpmn-js
BPMN_JS = [
    _l("Activate hand tool"), _l("Activate lasso tool"), _l("Activate create/remove space tool"),
    _l("Activate global connect tool"), _l("Create start event"), _l("Create intermediate/boundary event"),
    _l("Create end event"), _l("Create gateway"), _l("Create task"), _l("Create data object reference"),
    _l("Create data store reference"), _l("Create expanded sub-process"), _l("Create pool/participant"),
    _l("Create group"), _l("Add lane above"), _l("Add lane below"), _l("Add text annotation"),
    _l("Append compensation activity"), _l("Append conditional intermediate catch event"), _l("Append end event"),
    _l("Append gateway"), _l("Append intermediate/boundary event"), _l("Append message intermediate catch event"),
    _l("Append receive task"), _l("Append signal intermediate catch event"), _l("Append task"),
    _l("Append timer intermediate catch event"), _l("Change element"), _l("Connect to other element"),
    _l("Connect using association"), _l("Connect using data input association"), _l("Delete"),
    _l("Divide into three lanes"), _l("Divide into two lanes"), _l("Search in diagram"), _l("Collection"),
    _l("Loop"), _l("Parallel multi-instance"), _l("Sequential multi-instance"), _l("Participant multiplicity"),
    _l("Toggle non-interrupting"), _l("Ad-hoc sub-process (collapsed)"), _l("Ad-hoc sub-process (expanded)"),
    _l("Boundary event"), _l("Business rule task"), _l("Call activity"), _l("Cancel boundary event"),
    _l("Cancel end event"), _l("Compensation boundary event"), _l("Compensation end event"),
    _l("Compensation intermediate throw event"), _l("Compensation start event"), _l("Complex gateway"),
    _l("Conditional boundary event (non-interrupting)"), _l("Conditional boundary event"),
    _l("Conditional intermediate catch event"), _l("Conditional start event (non-interrupting)"),
    _l("Conditional start event"), _l("Data object reference"), _l("Data store reference"),
    _l("Empty pool/participant"), _l("End event"), _l("Error boundary event"), _l("Error end event"),
    _l("Error start event"), _l("Escalation boundary event (non-interrupting)"), _l("Escalation boundary event"),
    _l("Escalation end event"), _l("Escalation intermediate throw event"),
    _l("Escalation start event (non-interrupting)"), _l("Escalation start event"), _l("Event sub-process"),
    _l("Event-based gateway"), _l("Exclusive gateway"), _l("Expanded pool/participant"), _l("Inclusive gateway"),
    _l("Intermediate throw event"), _l("Link intermediate catch event"), _l("Link intermediate throw event"),
    _l("Manual task"), _l("Message boundary event (non-interrupting)"), _l("Message boundary event"),
    _l("Message end event"), _l("Message intermediate catch event"), _l("Message intermediate throw event"),
    _l("Message start event (non-interrupting)"), _l("Message start event"), _l("Parallel gateway"),
    _l("Receive task"), _l("Script task"), _l("Send task"), _l("Service task"),
    _l("Signal boundary event (non-interrupting)"), _l("Signal boundary event"), _l("Signal end event"),
    _l("Signal intermediate catch event"), _l("Signal intermediate throw event"),
    _l("Signal start event (non-interrupting)"), _l("Signal start event"), _l("Start event"),
    _l("Sub-process (collapsed)"), _l("Sub-process (expanded)"), _l("Task"), _l("Terminate end event"),
    _l("Timer boundary event (non-interrupting)"), _l("Timer boundary event"), _l("Timer intermediate catch event"),
    _l("Timer start event (non-interrupting)"), _l("Timer start event"), _l("Transaction"), _l("User task"),
    _l("Sequence flow"), _l("Default flow"), _l("Conditional flow"), _l("Sub-process"), _l("Ad-hoc sub-process"),
]

# keys the scripts build: field types, form problems
_KEYED = {
    "type:text": _l("Text"), "type:textarea": _l("Long text"), "type:number": _l("Number"),
    "type:integer": _l("Whole number"), "type:date": _l("Date"), "type:datetime": _l("Date and time"),
    "type:email": _l("E-mail"), "type:phone": _l("Phone number"), "type:select": _l("Drop-down list"),
    "type:radio": _l("Single choice"), "type:checkboxes": _l("Multiple choice"), "type:boolean": _l("Yes/no box"),
    "type:file": _l("File upload"),
    "problem:key": _l("The key must start with a letter and use letters, digits and _."),
    "problem:duplicate": _l("Another field has this key."),
    "problem:options": _l("Give every option a stored value."),
    "problem:option-duplicate": _l("Two options have the same stored value."),
    "problem:condition": _l("The condition names a field that is not in the form."),
}

_DIFF = {
    "diff:added": _l("Added"), "diff:removed": _l("Removed"), "diff:changed": _l("Changed"),
    "diff:layout": _l("Moved"), "The two versions draw the same process.": _l("The two versions draw the same process."),
}

# lint rule codes (app/modeler/assets/lint/messages.js) and bpmnlint's own English messages
_LINT = {
    "unreachable": _l("Cannot be reached from a start event"),
    "gateway-default": _l("Gateway has no default flow: when no condition holds, the instance stops with an error"),
    "flow-condition": _l("Flow has no condition and is not the gateway's default flow"),
    "user-task-lane": _l("User task is in no lane: no role would get it in their inbox"),
    "user-task-form": _l("User task has no form"),
    "service-operation-missing": _l("Service task has no operation"),
    "service-operation-unknown": _l('Unknown service operation "%(value)s"'),
    "timer-empty": _l("Timer has no value"),
    "timer-unquoted": _l('Timer value %(value)s is read as a variable name: write it in quotes, "%(value)s" '
                         '(the panel does this for you)'),
    "timer-invalid": _l('Timer value "%(value)s" is not a valid ISO 8601 value for this kind of timer'),
    "decision-missing": _l("Business rule task has no decision"),
    "decision-unknown": _l("No decision table \"%(value)s\" in this process's DMN files"),
    "Process is missing start event": _l("Process is missing start event"),
    "Sub process is missing start event": _l("Sub-process is missing start event"),
    "Process is missing end event": _l("Process is missing end event"),
    "Sub process is missing end event": _l("Sub-process is missing end event"),
    "SequenceFlow is a duplicate": _l("Sequence flow is a duplicate"),
    "Duplicate outgoing sequence flows": _l("Duplicate outgoing sequence flows"),
    "Duplicate incoming sequence flows": _l("Duplicate incoming sequence flows"),
}


def _source(text) -> str:
    return text._args[0] if hasattr(text, "_args") else str(text)


def modeler_texts() -> dict[str, str]:
    table = {_source(t): str(t) for t in (*_MODELER, *BPMN_JS)}
    table.update({key: str(t) for key, t in _KEYED.items()})
    return table


def lint_messages() -> dict[str, str]:
    return {key: str(t) for key, t in _LINT.items()}


def diff_texts() -> dict[str, str]:
    return {key: str(t) for key, t in _DIFF.items()}
