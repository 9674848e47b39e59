"""The annual report made on the document worker, never in a web request: staff ask for it (a run: year, date,
chapters, their text), the worker gathers the figures, fills the Word template (charts as images) and converts
it to PDF with its long-lived LibreOffice, reporting each step's progress; the page shows how far it is, then
both downloads. Runs are kept with their files (the last ones are listed on the form page)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.platform import progress
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.queue import job_queue
from app.platform.uow import after_commit, read_only, unit_of_work
from app.reporting import annual
from app.reporting.models import AnnualReportRun

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PENDING = (QUEUED, RUNNING)
STEPS = ("figures", "word", "pdf")
JOB = "tasks.reporting.make_annual_report"
JOB_TIMEOUT_S = 900
STALLED_AFTER = timedelta(seconds=JOB_TIMEOUT_S + 300)  # no worker took it, or its worker died meanwhile


def _key(run_id: int) -> str:
    return f"annual-report:{run_id}"


def request(req: annual.Request, actor_id: int | None) -> int:
    """Keep what was asked and hand the work to a worker once this is committed; returns the run's id."""
    with unit_of_work() as uow:
        run = AnnualReportRun(year=req.year, at=req.at, chapters=[c for c in annual.CHAPTERS if c in req.chapters], measures=req.measures,
                              status=QUEUED, created_by=actor_id, created_at=utcnow())
        uow.add(run)
        uow.flush()
        run_id = run.id
        after_commit(lambda: job_queue().enqueue(JOB, run_id, job_id=f"annual-report-{run_id}", job_timeout=JOB_TIMEOUT_S,
                                                 result_ttl=600, failure_ttl=86400))
        uow.commit()
    return run_id


def make(run_id: int) -> str:
    """The worker's part: figures, Word, PDF; the run ends done (with both files) or failed (with the error).
    Safe to deliver twice: a run that is no longer pending is left as it is."""
    with unit_of_work() as uow:
        run = uow.get(AnnualReportRun, run_id, with_for_update=True)
        if run is None or run.status not in PENDING:
            uow.commit()
            return run.status if run else "missing"
        run.status = RUNNING
        req = annual.Request(run.year, run.at, frozenset(run.chapters), run.measures or "")
        uow.commit()
    key = _key(run_id)
    try:
        progress.report(key, 0, len(STEPS))
        with read_only():  # the figures' transaction ends before LibreOffice works
            ctx, charts = annual.context(req)
            template = annual.template()
        progress.report(key, 1, len(STEPS))
        word = annual.render(template, ctx, charts)
        progress.report(key, 2, len(STEPS))
        pdf = annual.to_pdf(word)
        progress.report(key, 3, len(STEPS))
    except Exception as err:
        _finish(run_id, FAILED, error=f"{type(err).__name__}: {str(err)[:500]}")
        raise
    _finish(run_id, DONE, word=word, pdf=pdf)
    return DONE


def _finish(run_id: int, status: str, *, word: bytes | None = None, pdf: bytes | None = None,
            error: str | None = None) -> None:
    with unit_of_work() as uow:
        run = uow.get(AnnualReportRun, run_id)
        run.status, run.docx, run.pdf, run.error, run.finished_at = status, word, pdf, error, utcnow()
        uow.commit()
    progress.clear(_key(run_id))


def stalled(run: AnnualReportRun) -> bool:
    """Still pending long after its job's time limit: the page stops waiting and says to ask again."""
    return run.status in PENDING and utcnow() - run.created_at > STALLED_AFTER


def find(run_id: int) -> AnnualReportRun | None:
    return db.session.get(AnnualReportRun, run_id)


def current_progress(run_id: int) -> dict | None:
    return progress.current(_key(run_id))


def recent(limit: int = 10) -> list:
    """The last runs (without their files), newest first."""
    return db.session.execute(
        select(AnnualReportRun.id, AnnualReportRun.year, AnnualReportRun.at, AnnualReportRun.status,
               AnnualReportRun.created_at, AnnualReportRun.finished_at)
        .order_by(AnnualReportRun.id.desc()).limit(limit)).all()
