"""docx rendering (docxtpl) and docx -> PDF through one long-lived LibreOffice per process."""
from __future__ import annotations

import atexit
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Mapping

from docxtpl import DocxTemplate

from documents.settings import DocumentSettings

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
AGREEMENT_TEMPLATE = TEMPLATE_DIR / "tripartite_agreement.docx"
_WORKER = Path(__file__).resolve().parent / "uno_worker.py"
DOCX_IMPORT_FILTER = "MS Word 2007 XML"
PDF_EXPORT_OPTIONS: dict[str, Any] = {
    # Bookmarks become named destinations: documents.sign places the signature fields on them.
    "ExportBookmarksToPDFDestination": True,
    "EmbedStandardFonts": True,
    "ExportFormFields": False,
}


class ConversionError(RuntimeError):
    pass


class ConversionTimeout(ConversionError):
    pass


def render_docx(template_path: str | Path, context: Mapping[str, Any]) -> bytes:
    """Fill a docxtpl template; values are XML-escaped (autoescape), so user input cannot break the file."""
    template = DocxTemplate(str(template_path))
    template.render(dict(context), autoescape=True)
    buf = io.BytesIO()
    template.save(buf)
    return buf.getvalue()


class PdfConverter:
    """docx -> PDF with one LibreOffice kept running (started on first use, restarted if it died).

    Thread-safe: calls are serialised (LibreOffice converts one document at a time anyway). After a fork the
    child starts its own office instead of sharing its parent's pipes.
    """

    def __init__(self, soffice: str = "soffice", uno_python: str = "/usr/bin/python3",
                 timeout_s: float = 60.0, start_timeout_s: float = 60.0):
        self.soffice = soffice
        self.uno_python = uno_python
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._owner_pid = 0
        self._dir: str | None = None
        self._buf = b""
        self._seq = 0
        self.starts = 0
        _LIVE.add(self)

    @classmethod
    def from_settings(cls, settings: DocumentSettings) -> "PdfConverter":
        return cls(settings.soffice_path, settings.uno_python, settings.conversion_timeout_s,
                   settings.office_start_timeout_s)

    def convert(self, docx: bytes, options: Mapping[str, Any] | None = None) -> bytes:
        with self._lock:
            try:
                return self._convert_once(docx, options)
            except _OfficeGone:
                self._stop()  # office died since the last call: one fresh start, then give up
                try:
                    return self._convert_once(docx, options)
                except _OfficeGone as err:
                    self._stop()
                    raise ConversionError(str(err)) from None

    def close(self) -> None:
        with self._lock:
            self._stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._owner_pid == os.getpid()

    def _convert_once(self, docx: bytes, options: Mapping[str, Any] | None) -> bytes:
        self._ensure_started()
        assert self._proc is not None and self._dir is not None
        self._seq += 1
        src = os.path.join(self._dir, f"{self._seq}.docx")
        dst = os.path.join(self._dir, f"{self._seq}.pdf")
        Path(src).write_bytes(docx)
        try:
            request = {"id": self._seq, "in": src, "out": dst, "import_filter": DOCX_IMPORT_FILTER,
                       "filter_data": {**PDF_EXPORT_OPTIONS, **(options or {})}}
            try:
                self._proc.stdin.write((json.dumps(request) + "\n").encode())
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as err:
                raise _OfficeGone(f"conversion worker gone: {err}") from None
            reply = self._read_reply(self._seq, time.monotonic() + self.timeout_s)
            if not reply.get("ok"):
                if reply.get("fatal"):
                    raise _OfficeGone(reply.get("error", "LibreOffice died"))
                raise ConversionError(reply.get("error", "conversion failed"))
            return Path(dst).read_bytes()
        finally:
            for path in (src, dst):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass

    def _ensure_started(self) -> None:
        if self._proc is not None and self._owner_pid == os.getpid() and self._proc.poll() is None:
            return
        if self._owner_pid == os.getpid():
            self._stop()
        else:  # inherited from a parent process: leave the parent's office alone
            self._proc, self._dir = None, None
        self._dir = tempfile.mkdtemp(prefix="bpm-office-")
        profile = os.path.join(self._dir, "profile")
        pipe_name = f"bpm-office-{uuid.uuid4().hex}"
        self._buf = b""
        self._proc = subprocess.Popen(
            [self.uno_python, str(_WORKER), self.soffice, profile, pipe_name, str(self.start_timeout_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,  # own process group: a timeout kills worker + soffice together
        )
        self._owner_pid = os.getpid()
        self.starts += 1
        try:
            ready = self._read_line(time.monotonic() + self.start_timeout_s + 5)
        except _OfficeGone as err:
            self._stop()
            raise ConversionError(f"LibreOffice did not start: {err}") from None
        if not ready.get("ready"):
            self._stop()
            raise ConversionError(f"LibreOffice did not start: {ready.get('error')}")

    def _read_reply(self, seq: int, deadline: float) -> dict:
        while True:
            reply = self._read_line(deadline)
            if reply.get("id") == seq:
                return reply

    def _read_line(self, deadline: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._stop()
                raise ConversionTimeout("LibreOffice did not answer in time; it was stopped")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise _OfficeGone(f"conversion worker exited (code {self._proc.poll()})")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and self._owner_pid == os.getpid():
            if proc.poll() is None:
                try:
                    proc.stdin.close()  # the worker shuts soffice down cleanly on EOF
                    proc.wait(5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            _kill_group(proc)
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self._dir is not None and self._owner_pid == os.getpid():
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None


class _OfficeGone(Exception):
    pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        print(f"warning: office worker {proc.pid} did not exit", file=sys.stderr)


_LIVE: "weakref.WeakSet[PdfConverter]" = weakref.WeakSet()
_DEFAULT: dict[tuple, PdfConverter] = {}
_DEFAULT_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    for converter in list(_LIVE):
        converter.close()


def converter_for(settings: DocumentSettings) -> PdfConverter:
    """The process-wide converter for these settings (one LibreOffice per process and configuration)."""
    key = (settings.soffice_path, settings.uno_python, settings.conversion_timeout_s)
    with _DEFAULT_LOCK:
        converter = _DEFAULT.get(key)
        if converter is None:
            converter = _DEFAULT[key] = PdfConverter.from_settings(settings)
        return converter


def docx_to_pdf(docx: bytes, settings: DocumentSettings) -> bytes:
    return converter_for(settings).convert(docx)


def convert_with_fresh_soffice(docx: bytes, soffice: str = "soffice", timeout_s: float = 120.0) -> bytes:
    """One `soffice --convert-to pdf` start per file: the slow baseline, kept for the benchmark."""
    with tempfile.TemporaryDirectory(prefix="bpm-soffice-") as tmp:
        src = Path(tmp, "in.docx")
        src.write_bytes(docx)
        options = json.dumps({k: {"type": "boolean", "value": str(v).lower()} for k, v in PDF_EXPORT_OPTIONS.items()})
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
             "--convert-to", f"pdf:writer_pdf_Export:{options}", "--outdir", tmp, str(src)],
            check=True, timeout=timeout_s, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return Path(tmp, "in.pdf").read_bytes()
