"""Fetching a file a device made (a recording) from the gateway, checked against the size and SHA-256
the device reported, written next to its destination and renamed into place only when it is whole."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from integrations.devices.errors import DeviceFault, DeviceRejected, DeviceTimeout, DeviceUnreachable
from integrations.devices.results import RecordingFile


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


def download(file: RecordingFile, dest: Path, files_url: str, token: str | None = None,
             timeout: float = 60.0) -> Path:
    """Store `file` at `dest` (replacing it atomically). Only from the gateway's file server `files_url`
    (DeviceSettings.files_url): a device cannot send us, and our token, elsewhere. A transfer that is cut
    or does not match the reported checksum raises DeviceFault (retryable) and leaves nothing behind."""
    if _origin(file.url) != _origin(files_url):
        raise DeviceRejected(f"{file.name} is not on the gateway's file server", code="foreign_url")
    dest.parent.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as out, httpx.stream("GET", file.url, headers=headers, timeout=timeout) as resp:
            if resp.status_code in (401, 403, 404):
                raise DeviceRejected(f"cannot fetch {file.name}: HTTP {resp.status_code}", code="file_unavailable")
            if resp.status_code != 200:
                raise DeviceFault(f"cannot fetch {file.name}: HTTP {resp.status_code}", code="file_unavailable")
            for chunk in resp.iter_bytes(1 << 16):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != file.size or digest.hexdigest() != file.sha256:
            raise DeviceFault(f"{file.name} arrived damaged ({size} bytes, expected {file.size})",
                              code="checksum_mismatch")
        os.replace(tmp, dest)
        return dest
    except httpx.TimeoutException as err:
        raise DeviceTimeout(f"fetching {file.name} timed out", code="timeout") from err
    except httpx.TransportError as err:
        raise DeviceUnreachable(f"fetching {file.name} failed: {err}", code="unreachable") from err
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
