"""The periodic sweep of uploaded files no row references (issue 8.17)."""
from __future__ import annotations

import io
import os
import time

from sqlalchemy import select, update

from app.engine.models import TaskDraft
from app.forms.uploads import STAGING, UploadBatch, upload_path

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = 86400


class _Upload(io.BytesIO):
    def __init__(self, name: str):
        super().__init__(PDF_BYTES + name.encode())
        self.filename = name


def _stored(uploads, name: str) -> dict:
    """A file committed the way a form submission commits it."""
    with UploadBatch(uploads) as batch:
        ref = batch.stage(_Upload(name), accept=["application/pdf"])
        batch.commit()
    return ref


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_files_no_row_references_are_removed_after_the_grace_period(web):
    from app import engine
    from app.forms.task_forms import uploads_dir
    from app.platform.areas import registry
    from tasks.forms import sweep_uploads

    app = web.app
    with app.app_context():
        uploads = uploads_dir()
    student = web.client("2022030101")
    guid = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    assert student.post(f"/tasks/{guid}", data={"__action__": "save", "target_city": "成都"}).status_code == 302

    replaced, current, in_task_data, killed, young = (_stored(uploads, f"{n}.pdf") for n in
                                                      ("replaced", "current", "data", "killed", "young"))
    # A draft saved with one attachment, then saved again with another: the first is no longer referenced.
    for ref in (replaced, current):
        with app.app_context():
            from app.platform.extensions import db
            from app.platform.uow import unit_of_work

            with unit_of_work() as uow:
                data = dict(uow.execute(select(TaskDraft.data).where(TaskDraft.task_guid == guid)).scalar_one())
                uow.execute(update(TaskDraft).where(TaskDraft.task_guid == guid).values(data={**data, "cv": ref}))
                uow.commit()
            db.session.remove()
    # A file referenced only from a process's own data (the workflow state, a text column).
    with app.app_context():
        definition = engine.latest_definition("employment_recommendation")
        engine.start_instance(definition, data={"attachment": in_task_data})
    staged = uploads / STAGING / "0123456789abcdef0123456789abcdef.part"  # a request killed while staging
    staged.write_bytes(PDF_BYTES)
    paths = {name: upload_path(uploads, ref["file_id"]) for name, ref in
             (("replaced", replaced), ("current", current), ("data", in_task_data), ("killed", killed),
              ("young", young))}
    for name, path in paths.items():
        if name != "young":
            _age(path, 2 * DAY)
    _age(staged, 2 * DAY)

    app.config["UPLOAD_ORPHAN_GRACE_S"] = DAY
    try:
        with app.app_context():
            assert "forms.sweep_uploads" in {job.name for job in registry().periodic_jobs}
            assert sweep_uploads() >= 2
            assert sweep_uploads() == 0  # safe to run twice
    finally:
        app.config["UPLOAD_ORPHAN_GRACE_S"] = 6 * 3600
    exists = {name: path.exists() for name, path in paths.items()}
    assert exists == {"replaced": False, "current": True, "data": True, "killed": False, "young": True}
    assert not staged.exists()
