"""Files uploaded through task forms: checked by content, staged, and kept only once the form is valid.

Convention (the form side, see ``app.forms``)
------------------------------------------------------------
A form field is a file field when its JSON Schema node carries ``"x-file": true``::

    "resume": {
      "type": "object", "title": "简历", "x-file": true,
      "accept": ["application/pdf"],          # optional; default: every type below
      "maxSize": 5242880                      # optional, bytes; default 10 MiB
    }

(``"format": "data-url"``, what the SpiffArena/rjsf editor writes for a file widget, is read the same way.)
The value stored in task data is a JSON-safe reference, never the bytes::

    {"file_id": "<32 hex>", "name": "简历.pdf", "size": 12345, "sha256": "<64 hex>",
     "content_type": "application/pdf"}

``accept`` lists MIME types or extensions among the four types this module recognises by their first
bytes: PDF (``%PDF-``), PNG, JPEG and Word .docx (a zip holding ``word/document.xml``). ``image/*`` means
PNG and JPEG. The client's content type and the file name's extension are never trusted: ``content_type``
in the reference is the detected one.

Lifecycle
---------
``UploadBatch.stage()`` streams one file to ``<uploads_dir>/.staging/<id>.part`` (the size limit is
enforced while reading, the type is checked on the bytes written) and raises ``UploadRejected`` (with
the partial file removed) when the file is too large, empty or of a type the field does not accept.
Nothing reaches ``<uploads_dir>/<id[:2]>/<id>`` until ``commit()``, which the caller runs only after the
whole form validated; ``discard()`` (or leaving the ``with`` block without commit) removes what was
staged. ``sweep_staging()`` removes staged files older than a limit (left by a crashed process).
"""
from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
CHUNK = 64 * 1024
STAGING = ".staging"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

#: content type -> (short label shown to people, extensions for the HTML accept attribute)
KNOWN_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("PDF", (".pdf",)),
    PNG: ("PNG", (".png",)),
    JPEG: ("JPEG", (".jpg", ".jpeg")),
    DOCX: ("Word (.docx)", (".docx",)),
}
_ALIASES = {
    ".pdf": (PDF,), ".png": (PNG,), ".jpg": (JPEG,), ".jpeg": (JPEG,), ".docx": (DOCX,),
    "image/jpg": (JPEG,), "image/*": (PNG, JPEG),
}
_FILE_ID = re.compile(r"[0-9a-f]{32}\Z")


class UploadRejected(Exception):
    """A file the field does not take. ``code`` is a form error code: ``fileSize``, ``fileType`` or
    ``fileEmpty``; ``params`` fill the message (``limit`` in bytes, ``accept`` as a list of labels)."""

    def __init__(self, code: str, params: dict[str, Any] | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}


def normalize_accept(accept: Iterable[str] | str | None) -> tuple[str, ...]:
    """The content types a field accepts, in a stable order. ``None``/empty: every known type.
    Raises ValueError for a type this module cannot recognise by content."""
    if not accept:
        return tuple(KNOWN_TYPES)
    if isinstance(accept, str):
        accept = [part for part in accept.split(",")]
    wanted: set[str] = set()
    for token in accept:
        token = str(token).strip().lower()
        if token in KNOWN_TYPES:
            wanted.add(token)
        elif token in _ALIASES:
            wanted.update(_ALIASES[token])
        else:
            raise ValueError(f"unsupported upload type {token!r} (known: {', '.join(KNOWN_TYPES)}, image/*)")
    return tuple(t for t in KNOWN_TYPES if t in wanted)


def accept_labels(accept: Iterable[str]) -> list[str]:
    return [KNOWN_TYPES[t][0] for t in accept if t in KNOWN_TYPES]


def html_accept(accept: Iterable[str]) -> str:
    """Value of the ``accept`` attribute of ``<input type=file>``: MIME types and extensions."""
    parts: list[str] = []
    for ctype in accept:
        parts.append(ctype)
        parts.extend(KNOWN_TYPES.get(ctype, ("", ()))[1])
    return ",".join(parts)


def detect_type(path: Path) -> str | None:
    """The content type of a file from its bytes (PDF, PNG, JPEG, DOCX), or None."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if b"%PDF-" in head:  # the PDF spec lets the header start within the first 1024 bytes
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:  # reads the central directory only, extracts nothing
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    return None


def clean_filename(name: str | None) -> str:
    """A display name safe to keep: no directories, no control characters, at most 150 characters,
    Chinese kept (werkzeug's secure_filename would drop it)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "file"


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.1f}".rstrip("0").rstrip(".") + " MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def upload_path(uploads_dir: Path | str, file_id: str) -> Path:
    """Where a committed upload lives. Raises ValueError for anything that is not one of our ids."""
    if not isinstance(file_id, str) or not _FILE_ID.match(file_id):
        raise ValueError("not an upload id")
    return Path(uploads_dir) / file_id[:2] / file_id


def is_reference(value: Any) -> bool:
    """True when ``value`` looks like a stored upload reference."""
    return (isinstance(value, dict) and isinstance(value.get("file_id"), str)
            and bool(_FILE_ID.match(value["file_id"])))


PREVIEWABLE = (PDF, PNG, JPEG)


def references(value: Any) -> list[dict[str, Any]]:
    """Every upload reference in ``value`` (task data: nested objects and rows), in order."""
    if is_reference(value):
        return [value]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def find_reference(value: Any, file_id: str) -> dict[str, Any] | None:
    """The reference to ``file_id`` in ``value``, or None: a file may be served only where it was uploaded."""
    return next((ref for ref in references(value) if ref["file_id"] == file_id), None)


class UploadBatch:
    """The files of one form submission: stage each, then commit all or discard all.

    >>> with UploadBatch(uploads_dir) as batch:
    ...     ref = batch.stage(request.files["resume"], accept=[PDF], max_size=5 << 20)
    ...     if form_is_valid:
    ...         batch.commit()
    """

    def __init__(self, uploads_dir: Path | str):
        self.uploads_dir = Path(uploads_dir)
        self._staged: list[tuple[Path, dict[str, Any]]] = []
        self.committed = False

    @property
    def staged(self) -> list[dict[str, Any]]:
        return [dict(ref) for _, ref in self._staged]

    def stage(self, storage: Any, *, accept: Iterable[str] | None = None,
              max_size: int | None = None) -> dict[str, Any]:
        """Write ``storage`` (a werkzeug FileStorage, or anything with ``.stream`` or ``.read`` and
        ``.filename``) to the staging area and return its reference. Raises UploadRejected."""
        if self.committed:
            raise RuntimeError("batch already committed")
        allowed = normalize_accept(accept)
        limit = int(max_size) if max_size else DEFAULT_MAX_SIZE
        staging = self.uploads_dir / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        file_id = uuid.uuid4().hex
        part = staging / f"{file_id}.part"
        stream: IO[bytes] = getattr(storage, "stream", None) or storage
        digest = hashlib.sha256()
        size = 0
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise UploadRejected("fileSize", {"limit": limit})
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise UploadRejected("fileEmpty")
            content_type = detect_type(part)
            if content_type is None or content_type not in allowed:
                raise UploadRejected("fileType", {"accept": accept_labels(allowed)})
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        ref = {"file_id": file_id, "name": clean_filename(getattr(storage, "filename", None)),
               "size": size, "sha256": digest.hexdigest(), "content_type": content_type}
        self._staged.append((part, ref))
        return dict(ref)

    def commit(self) -> list[dict[str, Any]]:
        """Move every staged file into place; returns their references."""
        refs = []
        for part, ref in self._staged:
            final = upload_path(self.uploads_dir, ref["file_id"])
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)  # same file system: atomic
            refs.append(dict(ref))
        self._staged.clear()
        self.committed = True
        return refs

    def discard(self) -> None:
        """Remove every staged file (safe to call twice)."""
        for part, _ in self._staged:
            part.unlink(missing_ok=True)
        self._staged.clear()

    def __enter__(self) -> UploadBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()


def sweep_staging(uploads_dir: Path | str, older_than_s: float = 3600.0) -> int:
    """Remove staged files older than ``older_than_s`` (a crash between stage and commit/discard).
    Returns how many were removed. Meant for the scheduler's housekeeping."""
    staging = Path(uploads_dir) / STAGING
    if not staging.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for part in staging.glob("*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed
