"""Tripartite agreements (三方协议): the list and export, issuing an offer, the detail page with its evidence
chain, the signed PDF, the audit-trail certificate, rescission requests and revoking an offer.

Every page checks the object rule of app.services.agreement_queries: an agreement the user may not see
answers 404, as if it did not exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.services import agreement_queries as queries
from app.web.params import page_number
from app.web.security import permission_required, principal

bp = Blueprint("agreements", __name__, url_prefix="/agreements")

STATUS_LABELS = {
    "offered": _l("Awaiting the student's reply"), "accepted": _l("Accepted by the student"),
    "in_review": _l("In review"), "signing": _l("Being signed"), "in_force": _l("In force"),
    "declined": _l("Declined"), "expired": _l("Expired"), "revoked": _l("Revoked"), "rescinded": _l("Rescinded"),
}
ACT_LABELS = {  # the acts of app.services.evidence.ACTS
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


@bp.app_template_filter("mask_id")
def _mask_id(value: str | None) -> str:
    from documents.context import mask_id_number

    return mask_id_number(value or "")


@bp.app_template_filter("mask_phone")
def _mask_phone(value: str | None) -> str:
    from documents.context import mask_phone

    return mask_phone(value or "")


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
                           choices=queries.filter_choices(principal()), statuses=queries.STATUSES)


@bp.get("/export.xlsx")
@permission_required("agreement.export")
def export():
    from app.services import exports

    labels = {
        "number": _("Agreement number"), "status": _("Status"), "student_no": _("Student number"),
        "student_name": _("Name"), "gender": _("Gender"), "id_number": _("ID number"), "phone": _("Phone"),
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
    exports.record_export(principal().id, current_user.username, request.full_path.rstrip("?"), request.endpoint,
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
    from app.services import form_schema as fs

    return fs.load_form(Path(current_app.config["FORMS_DIR"]), *OFFER_FORM)


def _new_page(form, values, errors, status: int = 200, message: str | None = None):
    employer = queries.employer_of(principal())
    return render_template("agreements/new.html", employer=employer, form=form, values=values, errors=errors,
                           message=message, approved=employer is not None and employer.status == "approved"), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("agreement.issue")
def new():
    from app.services import form_schema as fs

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
    from app.services import agreements

    try:
        agreement_id = agreements.issue_offer(principal().id, student_no, terms, remote_addr=request.remote_addr)
    except agreements.AgreementError as err:
        return _new_page(form, fs.redisplay_values(form, data, {}), {}, 422, str(err))
    from app.notifications.queries import was_notified
    from app.services.agreement_notices import offer_key

    if was_notified(agreements.get(agreement_id).student_id, offer_key(agreement_id)):
        flash(_("The offer was sent. The student has been asked to reply."), "success")
    else:
        flash(_("The offer was sent."), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


# -- one agreement --------------------------------------------------------------------------------------------

def _integrity(agreement_id: int) -> list[str] | None:
    from app.services import agreements

    return agreements.verify_evidence(agreement_id)


@bp.get("/<int:agreement_id>")
@permission_required("agreement.view")
def show(agreement_id: int):
    d = queries.detail(principal(), agreement_id)
    if d is None:
        abort(404)
    if queries.should_record_view(principal(), d.facts, d.evidence):
        from app.services import agreements

        agreements.record_act(agreement_id, "viewed", principal().id, remote_addr=request.remote_addr,
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
    from app.services import agreement_certificate

    return render_template("agreements/audit.html", d=d, fields=term_fields(),
                           certificate_ready=agreement_certificate.ready(agreement_id))


@bp.post("/<int:agreement_id>/certificate")
@permission_required("agreement.view")
def make_certificate(agreement_id: int):
    """Ask a worker for the audit-trail certificate of the chain's current state, as a certified PDF."""
    from app.services import agreement_certificate

    _facts_or_404(agreement_id)
    if not agreement_certificate.request_build(agreement_id, url_for("verify.verify", _external=True)):
        flash(_("The PDF certificate is being prepared; reload this page in a minute to download it."), "success")
    return redirect(url_for("agreements.audit", agreement_id=agreement_id), 303)


@bp.get("/<int:agreement_id>/certificate.pdf")
@permission_required("agreement.view")
def certificate(agreement_id: int):
    """The certified PDF of the chain's current state, once a worker has made it (else 404)."""
    from app.services import agreement_certificate, exports

    agreement, _facts = _facts_or_404(agreement_id)
    content = agreement_certificate.current(agreement_id)
    if content is None:
        abort(404)
    exports.record_export(principal().id, current_user.username, request.path, request.endpoint,
                          request.remote_addr)
    name = f"audit-certificate-{agreement.number or agreement.id}.pdf"
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/<int:agreement_id>/document.pdf")
@permission_required("agreement.download")
def document(agreement_id: int):
    agreement, facts = _facts_or_404(agreement_id)
    if not queries.can_download(principal(), facts):
        abort(404)
    from app.services import agreements

    doc = agreements.latest_document(agreement_id)
    if doc is None:
        abort(404)
    try:
        content = agreements.document_bytes(doc)
    except agreements.AgreementError as err:  # the file is missing, or no longer matches its recorded hash
        current_app.logger.error("agreement %s: document %s unreadable: %s", agreement_id, doc.id, err)
        flash(str(err), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id), 303)
    agreements.record_act(agreement_id, "downloaded", principal().id, remote_addr=request.remote_addr,
                          details={"version": doc.version, "kind": doc.kind}, document_sha256=doc.sha256)
    name = f"agreement-{agreement.number or agreement.id}-v{doc.version}.pdf"
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


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
    from app.services import agreements

    try:
        act(agreements)(agreement_id, principal().id, reason, remote_addr=request.remote_addr)
    except agreements.AgreementError as err:
        flash(str(err), "error")
        return back
    flash(done, "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


@bp.post("/<int:agreement_id>/rescind")
@permission_required("agreement.rescind")
def rescind(agreement_id: int):
    return _party_action(
        agreement_id, queries.can_request_rescission,
        _("Only the student or the employer of an agreement in force can ask to rescind it."),
        lambda service: service.request_rescission, _("Your request to rescind was sent to the other party."))


@bp.post("/<int:agreement_id>/revoke")
@permission_required("agreement.issue")
def revoke(agreement_id: int):
    return _party_action(agreement_id, queries.can_revoke, _("This offer can no longer be revoked."),
                         lambda service: service.revoke_offer, _("The offer was revoked."))
