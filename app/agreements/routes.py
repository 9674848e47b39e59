"""Tripartite agreements (三方协议): the list and export, issuing an offer, the detail page with its evidence
chain, the signed PDF, the audit-trail certificate, rescission requests and revoking an offer; and the
public verification of a signed agreement (/verify).

Every page checks the object rule (app/agreements/domain.py): an agreement the user may not see answers
404, as if it did not exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import forms
from app.agreements import certificate as certificates
from app.agreements import domain, exports, queries, services
from app.forms.task_forms import upload_response
from app.identity.guards import permission_required, principal
from app.platform import oplog
from app.platform.params import page_number
from app.platform.rate_limits import public_form_limit
from app.platform.request_limits import body_limit
from app.platform.web import public

bp = Blueprint("agreements", __name__, url_prefix="/agreements", template_folder="templates")
verify_bp = Blueprint("verify", __name__, template_folder="templates")

STATUS_LABELS = {  # the statuses of app/agreements/domain.py, in the reader's language
    domain.OFFERED: _l("Awaiting the student's reply"), domain.ACCEPTED: _l("Accepted by the student"),
    domain.IN_REVIEW: _l("In review"), domain.SIGNING: _l("Being signed"), domain.IN_FORCE: _l("In force"),
    domain.DECLINED: _l("Declined"), domain.EXPIRED: _l("Expired"), domain.REVOKED: _l("Revoked"),
    domain.RESCINDED: _l("Rescinded"),
}
ACT_LABELS = {  # the acts of app/agreements/chain.py ACTS
    "offered": _l("issued the offer"), "viewed": _l("viewed"), "filled": _l("filled in or changed"),
    "returned": _l("returned for correction"), "accepted": _l("accepted"), "declined": _l("declined"),
    "expired": _l("expired"), "reviewed": _l("reviewed"), "signed": _l("signed"), "numbered": _l("number assigned"),
    "in_force": _l("came into force"), "revoked": _l("revoked the offer"), "downloaded": _l("downloaded"),
    "rescission_requested": _l("requested rescission"), "rescission_agreed": _l("agreed to rescind"),
    "rescinded": _l("rescinded"), "verified": _l("verified a copy"),
}
EMPLOYER_KIND_LABELS = {
    "state_owned": _l("State-owned enterprise"), "private": _l("Private enterprise"),
    "foreign": _l("Foreign-owned enterprise"), "joint_venture": _l("Sino-foreign joint venture"),
    "public_institution": _l("Public institution"), "government": _l("Government agency"), "other": _l("Other"),
}
MAX_REASON = 1000


@bp.app_context_processor
def _labels():
    return {"agreement_status_labels": STATUS_LABELS, "agreement_act_labels": ACT_LABELS,
            "employer_kind_labels": EMPLOYER_KIND_LABELS}


def _facts_or_404(agreement_id: int):
    agreement, facts = queries.visible_agreement(principal(), agreement_id)
    if agreement is None:
        abort(404)
    return agreement, facts


# -- list and export ------------------------------------------------------------------------------------------

@bp.get("/")
@permission_required("agreement.view")
def index():
    filters = queries.Filters.from_args(request.args)
    result = queries.list_agreements(principal(), filters, page_number())
    return render_template("agreements/index.html", result=result, filters=filters,
                           choices=queries.filter_choices(principal()), statuses=domain.STATUSES)


@bp.get("/export.xlsx")
@permission_required("agreement.export")
def export():
    labels = {
        "number": _("Agreement number"), "status": _("Status"), "student_no": _("Student number"),
        "student_name": _("Name"), "gender": _("Gender"), "id_number": _("ID number"), "phone": _("Phone"),
        "email": _("Email"),
        "college": _("College"), "major": _("Major"), "degree": _("Degree"), "graduation_year": _("Graduation year"),
        "employer": _("Employer"), "employer_credit_code": _("Unified social credit code"),
        "position": _("Position"), "work_location": _("Work location"), "monthly_pay": _("Monthly pay (yuan)"),
        "probation_months": _("Probation (months)"), "contract_years": _("Contract term (years)"),
        "hukou_transfer": _("Hukou transferred"), "offered_at": _("Offered at"), "in_force_at": _("In force since"),
    }
    try:
        content = exports.agreements_xlsx(principal(), queries.Filters.from_args(request.args), labels,
                                          {k: str(v) for k, v in STATUS_LABELS.items()}, (_("Yes"), _("No")),
                                          sheet_title=_("Agreements"))
    except exports.ExportTooLarge as err:
        flash(_("These filters match %(count)s agreements; one export holds at most %(limit)s. "
                "Narrow the list with the filters and export again.",
                count=f"{err.count:,}", limit=f"{err.limit:,}"), "error")
        return redirect(url_for("agreements.index", **request.args)), 303
    oplog.record_export(principal().id, current_user.username, request.full_path.rstrip("?"), request.endpoint,
                        request.remote_addr)
    name = f"agreements-{datetime.now():%Y%m%d-%H%M}.xlsx"
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "no-store"})


# -- issuing an offer -----------------------------------------------------------------------------------------

OFFER_FORM = ("agreement_offer.json", "agreement_offer.ui.json")  # forms/: the same fields as the process uses


@dataclass(frozen=True)
class TermField:
    key: str
    label: str
    kind: str  # text | textarea | int | bool


def term_fields() -> list[TermField]:
    """The agreement's terms as pages and exports show them (keys as in forms/agreement_offer.json)."""
    return [
        TermField("position", _("Position"), "text"),
        TermField("work_location", _("Work location"), "text"),
        TermField("monthly_pay", _("Monthly pay"), "int"),
        TermField("probation_months", _("Probation"), "int"),
        TermField("contract_years", _("Contract term"), "int"),
        TermField("breach_terms", _("Breach terms (liquidated damages)"), "textarea"),
        TermField("other_clauses", _("Other agreed clauses"), "textarea"),
        TermField("archive_address", _("Archive forwarding address"), "text"),
        TermField("hukou_transfer", _("Hukou transferred to the employer"), "bool"),
    ]


def _offer_form():
    return forms.task_form(*OFFER_FORM)


def _new_page(form, values, errors, status: int = 200, message: str | None = None):
    employer = queries.employer_of(principal())
    return render_template("agreements/new.html", employer=employer, form=form, values=values, errors=errors,
                           message=message, approved=employer is not None and employer.status == "approved"), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("agreement.issue")
def new():
    fs = forms
    employer = queries.employer_of(principal())
    if employer is None or employer.status != "approved":
        return _new_page(None, {}, {}, 403)
    form = _offer_form()
    if request.method == "GET":
        return _new_page(form, fs.initial_values(form, {}), {})
    data = fs.parse_submission(form, request.form, None, {})
    errors = fs.validate(form, data)
    if errors:
        return _new_page(form, fs.redisplay_values(form, data, {}), errors, 422)
    terms = dict(data)
    student_no = terms.pop("student_no")
    try:
        agreement_id = services.issue_offer(principal().id, student_no, terms, remote_addr=request.remote_addr)
    except services.AgreementError as err:
        if err.field == "student_no":  # beside the field, in the reader's language
            errors = {"student_no": [fs.FieldError("student_no", "notFound", {"value": student_no})]}
            return _new_page(form, fs.redisplay_values(form, data, {}), errors, 422)
        return _new_page(form, fs.redisplay_values(form, data, {}), {}, 422, str(err))
    if queries.offer_announced(agreement_id):
        flash(_("The offer was sent. The student has been asked to reply."), "success")
    else:
        flash(_("The offer was sent."), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


# -- one agreement --------------------------------------------------------------------------------------------

def _integrity(agreement_id: int) -> list[str] | None:
    return queries.evidence_problems(agreement_id)


@bp.get("/<int:agreement_id>")
@permission_required("agreement.view")
def show(agreement_id: int):
    d = queries.detail(principal(), agreement_id)
    if d is None:
        abort(404)
    if domain.should_record_view(principal(), d.facts, d.evidence):
        services.record_act(agreement_id, "viewed", principal().id, remote_addr=request.remote_addr,
                              details={"status": d.agreement.status})
        d = queries.detail(principal(), agreement_id)
    d.problems = _integrity(agreement_id)
    return render_template("agreements/show.html", d=d, fields=term_fields())


@bp.get("/<int:agreement_id>/audit")
@permission_required("agreement.view")
def audit(agreement_id: int):
    d = queries.detail(principal(), agreement_id)
    if d is None:
        abort(404)
    d.problems = _integrity(agreement_id)
    return render_template("agreements/audit.html", d=d, fields=term_fields(),
                           certificate_ready=certificates.ready(agreement_id))


@bp.post("/<int:agreement_id>/certificate")
@permission_required("agreement.view")
def make_certificate(agreement_id: int):
    """Ask a worker for the audit-trail certificate of the chain's current state, as a certified PDF."""
    _facts_or_404(agreement_id)
    if not certificates.request_build(agreement_id, url_for("verify.verify", _external=True)):
        flash(_("The PDF certificate is being prepared; reload this page in a minute to download it."), "success")
    return redirect(url_for("agreements.audit", agreement_id=agreement_id), 303)


@bp.get("/<int:agreement_id>/certificate.pdf")
@permission_required("agreement.view")
def certificate(agreement_id: int):
    """The certified PDF of the chain's current state, once a worker has made it (else 404)."""
    agreement, _facts = _facts_or_404(agreement_id)
    content = certificates.current(agreement_id)
    if content is None:
        abort(404)
    oplog.record_export(principal().id, current_user.username, request.path, request.endpoint,
                        request.remote_addr)
    name = f"audit-certificate-{agreement.number or agreement.id}.pdf"
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/<int:agreement_id>/document.pdf")
@permission_required("agreement.download")
def document(agreement_id: int):
    found = queries.downloadable(principal(), agreement_id)
    if found is None:
        abort(404)
    agreement, doc = found
    try:
        content = queries.document_bytes(doc)
    except queries.DocumentUnreadable as err:  # the file is missing, or no longer matches its recorded hash
        current_app.logger.error("agreement %s: document %s unreadable: %s", agreement_id, doc.id, err)
        flash(str(err), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id), 303)
    # `preview=1`: shown in the page (a signing task, before the sign button), recorded as viewed
    preview = request.args.get("preview") == "1" and request.args.get("download") != "1"
    services.record_act(agreement_id, "viewed" if preview else "downloaded", principal().id,
                        remote_addr=request.remote_addr,
                        details={"version": doc.version, "kind": doc.kind, "status": agreement.status},
                        document_sha256=doc.sha256)
    name = f"agreement-{agreement.number or agreement.id}-v{doc.version}.pdf"
    disposition = "inline" if preview else "attachment"
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"{disposition}; filename={name}", "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/<int:agreement_id>/files/<file_id>")
@permission_required("agreement.view")
def attachment(agreement_id: int, file_id: str):
    """A file of the agreement's rescission (letter, penalty receipt): for whoever may see the agreement."""
    _facts_or_404(agreement_id)
    reference = queries.rescission_file(agreement_id, file_id)
    if reference is None:
        abort(404)
    return upload_response(reference, download=request.args.get("download") == "1")


def _reason() -> str | None:
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Give a reason."), "error")
        return None
    if len(reason) > MAX_REASON:
        flash(_("The reason may have at most %(n)s characters.", n=MAX_REASON), "error")
        return None
    return reason


def _party_action(agreement_id: int, allowed, refusal: str, act, done: str):
    """A party's request with a reason (rescind, revoke): check, call the service, flash, back to the page."""
    agreement, facts = _facts_or_404(agreement_id)
    back = redirect(url_for("agreements.show", agreement_id=agreement_id), 303)
    if not allowed(principal(), facts):
        flash(refusal, "error")
        return back
    reason = _reason()
    if reason is None:
        return back
    try:
        act(agreement_id, principal().id, reason, remote_addr=request.remote_addr)
    except services.AgreementError as err:
        flash(str(err), "error")
        return back
    flash(done, "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


@bp.post("/<int:agreement_id>/rescind")
@permission_required("agreement.rescind")
def rescind(agreement_id: int):
    return _party_action(
        agreement_id, domain.can_request_rescission,
        _("Only the student or the employer of an agreement in force can ask to rescind it."),
        services.request_rescission, _("Your request to rescind was sent to the other party."))


@bp.post("/<int:agreement_id>/revoke")
@permission_required("agreement.issue")
def revoke(agreement_id: int):
    return _party_action(agreement_id, domain.can_revoke, _("This offer can no longer be revoked."),
                         services.revoke_offer, _("The offer was revoked."))


# -- public verification ---------------------------------------------------------------------------------

MAX_PDF = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


@dataclass
class Match:
    number: str | None
    agreement_id: int | None  # only when the viewer may open the agreement
    version: int
    status: str | None = None  # the agreement's status today
    ended_at: datetime | None = None
    latest: bool = True

    @property
    def in_force(self) -> bool:
        return self.status == domain.IN_FORCE

    @property
    def ended(self) -> bool:
        """Rescinded, revoked, expired or declined: whatever the signatures say, not in force any more."""
        return self.status is not None and domain.is_final(self.status) and self.status != domain.IN_FORCE


def _match(checked: dict) -> Match | None:
    """What the page tells about the agreement the file is (a link only for those who may open it)."""
    if checked["agreement_id"] is None:
        return None
    visible = (current_user.is_authenticated
               and queries.visible_agreement(principal(), checked["agreement_id"])[0] is not None)
    return Match(checked["number"], checked["agreement_id"] if visible else None, checked["version"],
                 checked.get("status"), checked.get("ended_at"), bool(checked.get("latest")))


def _page(status: int = 200, error: str | None = None, report=None, match: Match | None = None,
          filename: str | None = None):
    return render_template("verify/index.html", error=error, report=report, match=match, filename=filename,
                           max_size=MAX_PDF // (1024 * 1024)), status


@verify_bp.route("/verify", methods=["GET", "POST"])
@public
@public_form_limit
@body_limit(MAX_PDF + 64 * 1024)  # the PDF and the form around it: a bigger upload is refused unread
def verify():
    if request.method == "GET":
        return _page()
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return _page(400, _("Choose a PDF file to verify."))
    content = upload.stream.read(MAX_PDF + 1)
    if len(content) > MAX_PDF:
        return _page(413, _("The file is larger than %(n)s MB.", n=MAX_PDF // (1024 * 1024)))
    if not content:
        return _page(422, _("The file is empty."))
    if PDF_MAGIC not in content[:1024]:
        return _page(422, _("This is not a PDF file. Upload the signed agreement as you received it (a .pdf file)."))
    actor_id = principal().id if current_user.is_authenticated else None
    try:
        checked = services.verify_document(content, actor_id, request.remote_addr)
    except services.UnreadablePdf:  # a damaged or hostile file gets a clear answer, never a 500
        current_app.logger.info("verify: unreadable PDF upload (%s bytes)", len(content), exc_info=True)
        return _page(422, _("This PDF could not be read. It may be damaged or not a complete PDF file."))
    return _page(200, report=checked["report"], match=_match(checked), filename=upload.filename)
