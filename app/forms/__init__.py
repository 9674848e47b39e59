"""The form framework: a JSON Schema + UI schema pair (SpiffArena / react-jsonschema-form files) rendered on
the server, parsed back from the posted HTML form, and validated with ``jsonschema`` (Draft 7).

One module per concern: ``schema`` (loading a pair into a field tree), ``fields`` (the tree), ``rendering``
(values to display; the HTML is ``templates/forms/_fields.html``), ``decoding`` (a posted form to typed
data, row buttons), ``validation``, ``messages``, ``uploads`` (files, staged until the whole form is valid)
and ``task_forms`` (the application's glue: forms of the registered areas by file name, the uploads folder).
Formats (phone, e-mail, dates) are the project's one rule each: app/platform/formats.py. Import the names
below from ``app.forms``.

No Flask here (except ``task_forms``) but two soft touches: ``flask_babel.lazy_gettext`` marks the English
message strings for the Babel catalogue, and, inside a request, the current Babel locale picks the message
language (zh_CN by default). Everything works, and is tested, without an application.

Field names in HTML
-------------------
The ``name`` of every input is its dotted data path: ``employer.contact.phone``, ``rows.0.qty``
(array index as a path segment). Each row of an array carries a marker ``rows.0.__row__`` so a row
whose inputs are all empty (or unchecked) still exists when the server re-renders it. The template
row for JavaScript uses the index ``__INDEX__``. Buttons ``name="__action__"`` with values
``add:<array path>`` / ``remove:<row path>`` add or remove rows without JavaScript (``row_action`` +
``apply_row_action``); ``value="submit"`` submits. A file field's "remove current file" checkbox is
``<path>.__clear__``. Property names therefore may not contain ``.``, whitespace or brackets, may not
be all digits and may not start with ``__``.

Typical route::

    form = load_form(forms_dir, task.form_schema, task.ui_schema)
    if request.method == "GET":
        return render(form, values=initial_values(form, task.data), errors={})
    action = row_action(request.form)
    if action:   # "add row"/"remove row" without JavaScript: re-render, no validation, no upload
        data = parse_submission(form, request.form, None, task.data, keep_blank_rows=True)
        return render(form, values=apply_row_action(form, data, action), errors={})
    with UploadBatch(uploads_dir) as batch:
        data = parse_submission(form, request.form, request.files, task.data, uploads=batch)
        errors = validate(form, data)
        if errors:   # nothing kept: the batch discards its staged files on exit
            return render(form, values=redisplay_values(form, data, task.data), errors=errors), 422
        batch.commit()
    complete_task(task, merge_submission(form, task.data, data))
"""

from __future__ import annotations

from app.forms.decoding import RowAction, apply_row_action, parse_submission, row_action
from app.forms.fields import ACTION_FIELD, Choice, FieldSpec, FormDefinitionError
from app.forms.messages import FieldError, RejectedUpload, ui_text
from app.forms.rendering import initial_values, merge_submission, redisplay_values
from app.forms.schema import Form, load_form
from app.forms.task_forms import deployed_form, task_form
from app.forms.validation import validate

__all__ = [
    "ACTION_FIELD", "Choice", "FieldError", "FieldSpec", "Form", "FormDefinitionError", "RejectedUpload",
    "RowAction", "apply_row_action", "deployed_form", "initial_values", "load_form", "merge_submission",
    "parse_submission",
    "redisplay_values", "row_action", "task_form", "ui_text", "validate",
]
