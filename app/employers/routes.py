"""The employer portal: an organisation registers (public), then its accounts sign in and follow the career
office's qualification review on the status page until it is approved."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.employers import queries, services
from app.employers.domain import USERNAME, is_credit_code
from app.forms.task_forms import uploads_dir
from app.forms.uploads import JPEG, PDF, PNG, UploadBatch, UploadRejected, format_size, upload_path
from app.identity.guards import permission_required, principal
from app.platform.formats import is_phone
from app.platform.rate_limits import counter, limit_item, public_form_limit
from app.platform.web import public

bp = Blueprint("employers", __name__, url_prefix="/employers", template_folder="templates")

MAX_QUALIFICATION = 10 * 1024 * 1024
MIN_PASSWORD = 10
KINDS = ("state_owned", "private", "foreign", "joint_venture", "public_institution", "government", "other")
TEXT_FIELDS = {  # name -> (max length, required)
    "name": (200, True), "credit_code": (18, True), "kind": (40, True), "industry": (80, True),
    "address": (255, True), "contact_name": (80, True), "contact_phone": (30, True), "username": (40, True),
}


def validate_registration(form) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned text fields and the field errors (the upload is checked separately)."""
    values = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["credit_code"] = values["credit_code"].upper()
    errors: dict[str, str] = {}
    for name, (max_length, required) in TEXT_FIELDS.items():
        if required and not values[name]:
            errors[name] = _("This field is required.")
        elif len(values[name]) > max_length:
            errors[name] = _("At most %(n)s characters.", n=max_length)
    if "credit_code" not in errors and not is_credit_code(values["credit_code"]):
        errors["credit_code"] = _("Not a valid unified social credit code (18 characters, with a check character "
                                  "at the end).")
    if "kind" not in errors and values["kind"] not in KINDS:
        errors["kind"] = _("Choose the type of organisation.")
    if "contact_phone" not in errors and not is_phone(values["contact_phone"]):
        errors["contact_phone"] = _(
            "Enter a mobile number (11 digits) or a landline with area code, e.g. 021-12345678.")
    if "username" not in errors and not USERNAME.match(values["username"]):
        errors["username"] = _("3 to 40 letters, digits, dots, dashes or underscores.")
    password = form.get("password") or ""
    if len(password) < MIN_PASSWORD:
        errors["password"] = _("At least %(n)s characters.", n=MIN_PASSWORD)
    elif len(password) > 200:
        errors["password"] = _("At most %(n)s characters.", n=200)
    elif password != (form.get("password_confirm") or ""):
        errors["password_confirm"] = _("The two passwords differ.")
    return values, errors


def _upload_error(err: UploadRejected) -> str:
    if err.code == "fileSize":
        return _("The file is larger than %(limit)s.", limit=format_size(err.params.get("limit", MAX_QUALIFICATION)))
    if err.code == "fileEmpty":
        return _("The file is empty.")
    return _("Upload a PDF, JPEG or PNG file (a scan or photo of the business licence).")


def _form(values, errors, status: int = 200, message: str | None = None):
    return render_template("employers/register.html", values=values, errors=errors, message=message, kinds=KINDS,
                           min_password=MIN_PASSWORD, max_size=format_size(MAX_QUALIFICATION)), status


def _taken_details_limit():
    return limit_item(f"{current_app.config.get('REGISTRATION_TAKEN_PER_HOUR', 5)} per hour")


def _taken_details_key() -> str:
    return f"{current_app.config['RQ_QUEUE']}:employers:taken:{request.remote_addr or '-'}"


def _may_try_registration() -> bool:
    """Probing which codes and user names exist: an address whose registrations met taken details
    REGISTRATION_TAKEN_PER_HOUR times is refused for the rest of the hour."""
    return counter().test(_taken_details_limit(), _taken_details_key())


def _count_taken_details() -> None:
    counter().hit(_taken_details_limit(), _taken_details_key())


@bp.route("/register", methods=["GET", "POST"])
@public
@public_form_limit
def register():
    if request.method == "GET":
        return _form({}, {})
    values, errors = validate_registration(request.form)
    if not _may_try_registration():  # refused before anything is stored
        return _form(values, {}, 429, _("Too many registrations with details that are already in use came from "
                                        "your network. Try again in an hour or contact the career services "
                                        "center."))
    with UploadBatch(uploads_dir()) as batch:
        upload = request.files.get("qualification")
        reference = None
        if upload is None or not upload.filename:
            errors["qualification"] = _("Upload the business licence or another qualification document.")
        else:
            try:
                reference = batch.stage(upload, accept=[PDF, JPEG, PNG], max_size=MAX_QUALIFICATION)
            except UploadRejected as err:
                errors["qualification"] = _upload_error(err)
        if errors:
            return _form(values, errors, 422)
        batch.commit()  # the service keeps only the reference; the file must be in place first
    try:
        services.register_employer(
            values["name"], values["credit_code"], values["contact_name"], values["contact_phone"],
            values["username"], request.form["password"], values["kind"], values["industry"], values["address"],
            reference)
    except BaseException as err:
        upload_path(uploads_dir(), reference["file_id"]).unlink(missing_ok=True)  # nothing stored on error
        if not isinstance(err, services.EmployerError):
            raise
        if isinstance(err, services.AlreadyRegistered):
            _count_taken_details()
            return _form(values, {}, 422, _("These details cannot be registered. If your organisation already has "
                                            "an account, ask a colleague who has one or the career services "
                                            "center; otherwise choose another user name."))
        field = getattr(err, "field", None)
        if field in TEXT_FIELDS:
            return _form(values, {field: str(err)}, 422)
        return _form(values, {}, 422, str(err))
    return redirect(url_for("employers.registered"))


@bp.get("/register/done")
@public
def registered():
    return render_template("employers/registered.html")


@bp.get("/status")
@permission_required("employer.status")
def status():
    """The signed-in account's organisation: where its qualification review stands, and what it may do."""
    employer_id = principal().employer_id
    organisation = queries.employer(employer_id) if employer_id is not None else None
    if organisation is None:
        abort(404)
    return render_template("employers/status.html", employer=organisation,
                           outcome=queries.qualification_outcome(employer_id), kinds=KINDS)
