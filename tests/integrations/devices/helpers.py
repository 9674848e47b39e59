"""Helpers for the device tests."""
from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from integrations.devices.results import DeviceEvent


def sample_pdf(pages: int) -> bytes:
    writer = PdfFileWriter()
    for _ in range(pages):
        writer.insert_page(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        }))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def statuses(events: list[DeviceEvent], job_id: str) -> list[str]:
    return [e.print_job.status.value for e in events if e.type == "print_job" and e.data["job_id"] == job_id]

