"""The process library and the modeler: pages for process owners, and the JSON the modeler page talks to."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import engine
from app.modeler import drafts, queries, services
from app.modeler.texts import diff_texts, lint_messages, modeler_texts
from app import forms
from app.forms.messages import current_locale
from app.identity.guards import current_policy, permission_required, principal
from app.modeler.deploy_problems import translate_problem
from app.tasklist import services as task_forms
from app.tasklist.services import instructions_html
from app.platform import params

bp = Blueprint("modeler", __name__, url_prefix="/modeler", template_folder="templates")
MODEL = "process.model"


def _problems(problems) -> list[dict]:
    """The problems for the page; the engine's sentences in the reader's language (the modeler's own are codes
    its script words)."""
    return [{"file": f, "element": e, "message": translate_problem(m)} for f, e, m in problems]


def _json_error(err: services.ModelerError):
    return jsonify(message=str(err.message), problems=_problems(err.problems)), err.status


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, _("Send the draft as a JSON object."))
    return payload


def _revision(payload) -> int:
    revision = payload.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        abort(400, _("revision: the draft revision this edit was made from is missing."))
    return revision


def _content(payload) -> drafts.DraftContent:
    try:
        return drafts.content_from(payload)
    except drafts.DraftRejected as err:
        abort(400, str(err))


# ------------------------------------------------------------------------------------------- library

@bp.get("/")
@permission_required(MODEL)
def library():
    return render_template("modeler/library.html", rows=queries.library(principal(), services.may_edit))


@bp.post("/new")
@permission_required(MODEL)
def new_process():
    try:
        draft = services.create_process(principal(), request.form.get("process_key", ""), request.form.get("name", ""))
    except services.ModelerError as err:
        flash(str(err.message), "error")
        return render_template("modeler/library.html", rows=queries.library(principal(), services.may_edit),
                               form=request.form), err.status
    return redirect(url_for("modeler.edit", process_key=draft.process_key))


@bp.post("/import")
@permission_required(MODEL)
def import_file():
    upload = request.files.get("bpmn")
    try:
        if upload is None or not upload.filename:
            raise services.Invalid(_("Choose a .bpmn file."))
        process_key = services.import_file(principal(), upload.read(services.MAX_IMPORT + 1))
    except services.ModelerError as err:
        flash(str(err.message), "error")
        return render_template("modeler/library.html", rows=queries.library(principal(), services.may_edit)), \
            err.status
    flash(_("The file is now the draft of %(key)s: check it and deploy it here.", key=process_key), "success")
    return redirect(url_for("modeler.edit", process_key=process_key))


@bp.get("/<process_key>")
@permission_required(MODEL)
def process(process_key: str):
    versions = queries.versions(process_key)
    draft = queries.draft(process_key)
    if not versions and draft is None:
        abort(404)
    me = principal()
    return render_template("modeler/process.html", process_key=process_key, versions=versions, draft=draft,
                           name=versions[0].name if versions else drafts.process_name(draft.bpmn_xml, process_key),
                           owners=queries.owners(process_key), candidates=queries.owner_candidates()
                           if me.can(services.MANAGE_ALL) else [], editable=services.may_edit(me, process_key),
                           runs=queries.migration_runs(process_key))


# -------------------------------------------------------------------------------------------- modeler

@bp.get("/<process_key>/edit")
@permission_required(MODEL)
def edit(process_key: str):
    try:
        draft = services.draft_for(principal(), process_key)
    except services.NotFound:
        abort(404)
    except services.NotAllowed:
        abort(403)
    return render_template("modeler/edit.html", draft=draft, config=_modeler_config(draft))


def _modeler_config(draft) -> dict:
    policy = current_policy()
    lanes = sorted({lane for role in policy.values() for lane in role.lanes})
    label = {lane: next((r.label if _zh() else r.label_en) for r in policy.values() if lane in r.lanes) for lane in lanes}
    used = queries.operation_parameters()
    operations = [{"name": name, "label": "", "description": (getattr(fn, "__doc__", "") or "").strip().split("\n")[0],
                   "parameters": [{"name": p, "description": ""} for p in used.get(name, [])]}
                  for name, fn in sorted(engine.registry.load_operations().items())]
    return {
        "processKey": draft.process_key,
        "draft": {"revision": draft.revision, "bpmn": draft.bpmn_xml, "files": draft.files or {}},
        "urls": {
            "save": url_for("modeler.save", process_key=draft.process_key),
            "validate": url_for("modeler.validate", process_key=draft.process_key),
            "deploy": url_for("modeler.deploy", process_key=draft.process_key),
            "testRun": url_for("modeler.test_run", process_key=draft.process_key),
            "markdown": url_for("modeler.markdown"),
            "formPreview": url_for("modeler.form_preview"),
            "libraryForm": url_for("modeler.library_form"),
        },
        "lanes": [{"key": lane, "label": label[lane]} for lane in lanes],
        "roles": [{"key": name, "label": role.label if _zh() else role.label_en} for name, role in policy.roles.items()],
        "operations": operations,
        "libraryForms": _library_forms(),
        "texts": modeler_texts(),
        "lintMessages": lint_messages(),
        "csrf": _csrf(),
    }


def _zh() -> bool:
    return current_locale().startswith("zh")


def _csrf() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def _library_forms() -> list[dict]:
    """The forms in git (the registered areas' forms folders) a user task may name."""
    from app.forms.task_forms import forms_dirs

    found = []
    for folder in forms_dirs():
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".ui.json"):
                continue
            try:
                title = json.loads(path.read_text(encoding="utf-8-sig")).get("title", "")
            except (ValueError, AttributeError):
                continue
            ui = path.name[:-len(".json")] + ".ui.json"
            found.append({"schema": path.name, "ui": ui if (folder / ui).is_file() else None, "title": title})
    return found


@bp.get("/forms/library")
@permission_required(MODEL)
def library_form():
    name = request.args.get("name", "")
    schema = engine.library_form(name)
    if schema is None or name.endswith(".ui.json"):
        abort(404)
    ui = engine.library_form(name[:-len(".json")] + ".ui.json")
    return jsonify(schema=json.loads(schema), ui=json.loads(ui) if ui else {})


@bp.post("/<process_key>/draft")
@permission_required(MODEL)
def save(process_key: str):
    payload = _payload()
    try:
        revision = services.save_draft(principal(), process_key, _revision(payload), _content(payload))
    except services.ModelerError as err:
        return _json_error(err)
    return jsonify(revision=revision, message=_("Draft saved (revision %(n)s).", n=revision))


@bp.post("/<process_key>/validate")
@permission_required(MODEL)
def validate(process_key: str):
    payload = _payload()
    try:
        problems = services.validate_draft(principal(), process_key, _content(payload))
    except services.ModelerError as err:
        return _json_error(err)
    message = (_("%(n)s problems: the process cannot be deployed yet.", n=len(problems)) if problems
               else _("No problems found: the process can be deployed."))
    return jsonify(problems=_problems(problems), message=message)


def _save_and(process_key: str, use_case):
    """Run a use case that saves the draft first (deploy, test run); a refusal answers with the problems and
    the revision the draft has now (it was saved)."""
    payload = _payload()
    content = _content(payload)
    try:
        return use_case(principal(), process_key, _revision(payload), content), None
    except services.Invalid as err:
        draft = queries.draft(process_key)
        return None, (jsonify(message=str(err.message), problems=_problems(err.problems),
                              revision=draft.revision if draft else None), err.status)
    except services.ModelerError as err:
        return None, _json_error(err)


@bp.post("/<process_key>/deploy")
@permission_required("process.deploy")
def deploy(process_key: str):
    done, refused = _save_and(process_key, services.deploy_draft)
    if refused:
        return refused
    definition, _revision_now = done
    flash(_("%(name)s is now at version %(version)s.", name=definition.name, version=definition.version), "success")
    return jsonify(redirect=url_for("modeler.process", process_key=process_key), version=definition.version)


@bp.post("/<process_key>/test-run")
@permission_required(MODEL)
def test_run(process_key: str):
    done, refused = _save_and(process_key, services.start_test_run)
    if refused:
        return refused
    instance_id, _revision_now = done
    return jsonify(redirect=url_for("modeler.test_page", instance_id=instance_id))


@bp.post("/<process_key>/discard")
@permission_required(MODEL)
def discard(process_key: str):
    try:
        services.discard_draft(principal(), process_key, request.form.get("revision", type=int) or 0)
    except services.ModelerError as err:
        flash(str(err.message), "error")
    else:
        flash(_("The draft was discarded."), "success")
    return redirect(url_for("modeler.process", process_key=process_key) if queries.versions(process_key)
                    else url_for("modeler.library"))


@bp.post("/markdown")
@permission_required(MODEL)
def markdown():
    text = (request.get_json(silent=True) or {}).get("text", "")
    if not isinstance(text, str) or len(text) > 20000:
        abort(400, _("text: at most 20,000 characters."))
    return jsonify(html=str(instructions_html(text) or ""))


@bp.post("/forms/preview")
@permission_required(MODEL)
def form_preview():
    payload = request.get_json(silent=True) or {}
    try:  # rendered as a task page renders it, in the reader's language
        form = forms.deployed_form(json.dumps(payload.get("schema")), json.dumps(payload.get("ui") or {}),
                                   str(payload.get("name", "form"))[:120])
    except forms.FormDefinitionError as err:
        return jsonify(message=str(err)), 422
    html = render_template("modeler/_form_preview.html", form=form, values=forms.initial_values(form, {}),
                           errors={})
    return jsonify(html=html)


# ------------------------------------------------------------------------------------------- versions

def _version(definition_id: int):
    definition = queries.definition(definition_id)
    if definition is None:
        abort(404)
    return definition


@bp.get("/versions/<int:definition_id>")
@permission_required(MODEL)
def version(definition_id: int):
    definition = _version(definition_id)
    return render_template("modeler/version.html", definition=definition,
                           files=sorted(engine.definition_files(definition.id)),
                           editable=services.may_edit(principal(), definition.process_key),
                           draft=queries.draft(definition.process_key))


@bp.get("/versions/<int:definition_id>/diagram.bpmn")
@permission_required(MODEL)
def version_xml(definition_id: int):
    definition = _version(definition_id)
    name = f"{definition.process_key}.v{definition.version}.bpmn"
    disposition = "attachment" if request.args.get("download") else "inline"
    return definition.bpmn_xml, 200, {"Content-Type": "application/xml; charset=utf-8",
                                      "Content-Disposition": f'{disposition}; filename="{name}"',
                                      "X-Content-Type-Options": "nosniff"}


@bp.get("/versions/<int:definition_id>/files/<name>")
@permission_required(MODEL)
def version_file(definition_id: int, name: str):
    definition = _version(definition_id)
    content = engine.definition_file(definition.id, name)
    if content is None:
        abort(404)
    kind = "application/json" if name.endswith(".json") else "application/xml"
    return content, 200, {"Content-Type": f"{kind}; charset=utf-8", "X-Content-Type-Options": "nosniff",
                          "Content-Disposition": f'attachment; filename="{name}"'}


@bp.post("/versions/<int:definition_id>/open")
@permission_required(MODEL)
def open_version(definition_id: int):
    try:
        draft = services.open_version(principal(), definition_id, request.form.get("revision", type=int))
    except services.NotFound:
        abort(404)
    except services.NotAllowed:
        abort(403)
    except services.ModelerError as err:
        flash(str(err.message), "error")
        return redirect(url_for("modeler.version", definition_id=definition_id))
    return redirect(url_for("modeler.edit", process_key=draft.process_key))


@bp.post("/versions/<int:definition_id>/rollback")
@permission_required("process.deploy")
def rollback(definition_id: int):
    try:
        definition = services.rollback(principal(), definition_id)
    except services.NotFound:
        abort(404)
    except services.NotAllowed:
        abort(403)
    except services.ModelerError as err:
        flash(str(err.message), "error")
        return redirect(url_for("modeler.version", definition_id=definition_id))
    flash(_("%(name)s is now at version %(version)s.", name=definition.name, version=definition.version), "success")
    return redirect(url_for("modeler.process", process_key=definition.process_key))


@bp.get("/<process_key>/diff")
@permission_required(MODEL)
def diff(process_key: str):
    versions = queries.versions(process_key)
    if len(versions) < 1:
        abort(404)
    by_id = {v.id: v for v in versions}
    new = by_id.get(params.integer(request.args, "to")) or versions[0]
    old = by_id.get(params.integer(request.args, "from")) or (versions[1] if len(versions) > 1 else versions[0])
    config = {"oldUrl": url_for("modeler.version_xml", definition_id=old.id),
              "newUrl": url_for("modeler.version_xml", definition_id=new.id), "texts": diff_texts()}
    return render_template("modeler/diff.html", process_key=process_key, versions=versions, old=old, new=new,
                           config=config)


# ------------------------------------------------------------------------------------------ migration

def _filter() -> queries.InstanceFilter:
    values = request.values
    return queries.InstanceFilter(params.integer(values, "version_id"), params.text(values, "status", 20),
                                  params.text(values, "business_key", 120),
                                  params.iso_date(values, "started_from"), params.iso_date(values, "started_to"))


@bp.route("/<process_key>/migrate", methods=["GET", "POST"])
@permission_required("process.deploy")
def migrate(process_key: str):
    versions = queries.versions(process_key)
    if not versions:
        abort(404)
    if not services.may_edit(principal(), process_key):
        abort(403)
    target = next((v for v in versions if v.id == params.integer(request.values, "target_id")), versions[0])
    f = _filter()
    rows = queries.instances(process_key, f)
    preview = None
    chosen = {i for i in map(params.whole_number, request.form.getlist("instance_id")) if i is not None}
    if request.method == "POST":
        if not chosen:
            flash(_("Choose the instances to migrate."), "error")
        else:
            preview = services.preview_migration(principal(), target.id, sorted(chosen))
    return render_template("modeler/migrate.html", process_key=process_key, versions=versions, target=target,
                           filter=f, rows=rows, waiting=queries.waiting_at([r.id for r in rows]), preview=preview,
                           chosen=chosen)


@bp.post("/<process_key>/migrate/start")
@permission_required("process.deploy")
def migrate_start(process_key: str):
    if not services.may_edit(principal(), process_key):
        abort(403)
    ids = [i for i in map(params.whole_number, request.form.getlist("instance_id")) if i is not None]
    try:
        run_id = services.start_migration(principal(), request.form.get("target_id", type=int) or 0, ids)
    except services.NotAllowed:
        abort(403)
    except services.ModelerError as err:
        flash(str(err.message), "error")
        return redirect(url_for("modeler.migrate", process_key=process_key))
    return redirect(url_for("modeler.migration", run_id=run_id))


def _run(run_id: int):
    run = queries.migration_run(run_id)
    if run is None or not services.may_edit(principal(), run.process_key):
        abort(404)
    return run


@bp.get("/migrations/<int:run_id>")
@permission_required("process.deploy")
def migration(run_id: int):
    run = _run(run_id)
    return render_template("modeler/migration.html", run=run, target=queries.definition(run.to_definition_id))


@bp.get("/migrations/<int:run_id>/progress")
@permission_required("process.deploy")
def migration_progress(run_id: int):
    run = _run(run_id)
    return jsonify(status=run.status, done=run.done, total=len(run.instance_ids), migrated=len(run.migrated),
                   refused=len(run.refused))


# ------------------------------------------------------------------------------------------ owners

@bp.post("/<process_key>/owners")
@permission_required(services.MANAGE_ALL)
def add_owner(process_key: str):
    try:
        services.add_owner(principal(), process_key, request.form.get("user_id", type=int) or 0)
    except services.ModelerError as err:
        flash(str(err.message), "error")
    return redirect(url_for("modeler.process", process_key=process_key))


@bp.post("/<process_key>/owners/<int:user_id>/remove")
@permission_required(services.MANAGE_ALL)
def remove_owner(process_key: str, user_id: int):
    services.remove_owner(principal(), process_key, user_id)
    return redirect(url_for("modeler.process", process_key=process_key))


# ------------------------------------------------------------------------------------------ test runs

def _test(instance_id: int):
    try:
        return services.test_instance(principal(), instance_id)
    except services.NotFound:
        abort(404)


@bp.get("/tests/<int:instance_id>")
@permission_required(MODEL)
def test_page(instance_id: int):
    view = queries.test_run(_test(instance_id))
    forms = {}
    for task in view.tasks:
        try:
            form = task_forms.form_for(task)
            forms[task.task_guid] = (form, task_forms.start_values(task, form, principal().id),
                                     instructions_html(task.instructions))
        except forms.FormDefinitionError as err:
            forms[task.task_guid] = (None, str(err), None)
    state = engine.get_state(instance_id)
    return render_template("modeler/test_run.html", view=view, forms=forms, state=state,
                           definition=engine.runtime.definition_info(view.instance.definition_id))


@bp.post("/tests/<int:instance_id>/tasks/<task_guid>")
@permission_required(MODEL)
def test_task(instance_id: int, task_guid: str):
    instance = _test(instance_id)
    task = next((t for t in queries.test_run(instance).tasks if t.task_guid == task_guid), None)
    if task is None:
        flash(_("This task is no longer open."), "error")
        return redirect(url_for("modeler.test_page", instance_id=instance_id))
    form = task_forms.form_for(task)
    outcome = task_forms.submit(task, form, principal().id, request.form, request.files, request.remote_addr)
    if outcome.status in ("invalid", "rerender", "refused"):
        view = queries.test_run(instance)
        forms = {t.task_guid: (task_forms.form_for(t), task_forms.start_values(t, task_forms.form_for(t), principal().id),
                               instructions_html(t.instructions)) for t in view.tasks}
        forms[task_guid] = (form, outcome.values, instructions_html(task.instructions))
        return render_template("modeler/test_run.html", view=view, forms=forms, errors={task_guid: outcome.errors},
                               message=outcome.message, state=engine.get_state(instance_id),
                               definition=engine.runtime.definition_info(instance.definition_id)), outcome.http_status
    if outcome.status == "conflict":
        flash(outcome.message, "error")
    return redirect(url_for("modeler.test_page", instance_id=instance_id))


@bp.post("/tests/<int:instance_id>/jobs/<int:job_id>")
@permission_required(MODEL)
def test_job(instance_id: int, job_id: int):
    _test(instance_id)
    try:
        result = json.loads(request.form.get("result") or "null")
        services.complete_test_job(principal(), instance_id, job_id, result)
    except ValueError:
        flash(_("The result must be JSON, e.g. {\"ok\": true} or null."), "error")
    except services.NotFound:
        abort(404)
    except services.ModelerError as err:
        flash(str(err.message), "error")
    return redirect(url_for("modeler.test_page", instance_id=instance_id))
