"""The long-lived LibreOffice converter: lazy start, reuse, restart after a crash, timeouts, threads."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from documents.context import agreement_context
from documents.render import AGREEMENT_TEMPLATE, ConversionError, ConversionTimeout, PdfConverter, render_docx


def _missing() -> list[str]:
    missing = [] if shutil.which("soffice") else ["soffice (libreoffice-writer-nogui)"]
    uno = os.path.exists("/usr/bin/python3") and subprocess.run(
        ["/usr/bin/python3", "-c", "import uno"], capture_output=True).returncode == 0
    return missing + ([] if uno else ["Debian's python3 with uno (python3-uno)"])


_MISSING = _missing()
if _MISSING and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    pytest.fail(f"CI: missing {', '.join(_MISSING)}: install config/system-packages.txt", pytrace=False)
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"missing {', '.join(_MISSING)} "
                                                       "(apt-get install the packages in config/system-packages.txt)")


@pytest.fixture(scope="module")
def docx() -> bytes:
    return render_docx(AGREEMENT_TEMPLATE, agreement_context({"graduate": {"name": "张三丰"}}))


@pytest.fixture(scope="module")
def converter():
    """One converter for the module (office starts cost ~1.5 s); tests look at changes of .starts."""
    c = PdfConverter(timeout_s=60)
    yield c
    c.close()


def test_starts_lazily_and_reuses_one_office(converter, docx):
    assert not converter.running and converter.starts == 0
    first = converter.convert(docx)
    assert first.startswith(b"%PDF-")
    started = time.perf_counter()
    converter.convert(docx)
    assert converter.starts == 1 and converter.running
    assert time.perf_counter() - started < 5


def test_a_broken_document_is_an_error_not_a_dead_office(converter, docx):
    starts = converter.starts
    with pytest.raises(ConversionError):
        converter.convert(b"this is not a docx")
    assert converter.convert(docx).startswith(b"%PDF-") and converter.starts == starts


def test_restarts_after_the_office_was_killed(converter, docx):
    converter.convert(docx)
    starts = converter.starts
    os.killpg(converter._proc.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert converter.convert(docx).startswith(b"%PDF-")
    assert converter.starts == starts + 1


def test_timeout_stops_the_office_and_the_next_call_recovers(converter, docx):
    converter.convert(docx)
    converter.timeout_s = 0.001
    try:
        with pytest.raises(ConversionTimeout):
            converter.convert(docx)
        assert not converter.running
    finally:
        converter.timeout_s = 60
    assert converter.convert(docx).startswith(b"%PDF-")


def test_concurrent_calls_from_threads(converter, docx):
    converter.convert(docx)
    starts = converter.starts
    results, errors = [], []

    def work():
        try:
            results.append(converter.convert(docx))
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4 and all(r.startswith(b"%PDF-") for r in results)
    assert converter.starts == starts


def test_close_leaves_no_office_behind(docx):
    c = PdfConverter()
    c.convert(docx)
    pgid = c._proc.pid
    c.close()
    deadline = time.monotonic() + 10
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _live_members(pgid) == []


def _live_members(pgid: int) -> list[str]:
    ps = subprocess.run(["ps", "-o", "stat=,cmd=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if line.strip() and not line.strip().startswith("Z")]
