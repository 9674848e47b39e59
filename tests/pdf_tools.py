"""PDF helpers shared by the document and agreement tests."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    """The text poppler extracts (layout kept)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def flip_byte_in_signed_content(pdf: bytes, unsigned_len: int) -> bytes:
    """Flip one byte in the middle of a long stream of the original document (covered by all signatures)."""
    for match in re.finditer(rb"stream\r?\n", pdf[:unsigned_len]):
        end = pdf.index(b"endstream", match.end())
        if end - match.end() > 1000:
            offset = (match.end() + end) // 2
            return pdf[:offset] + bytes([pdf[offset] ^ 0x01]) + pdf[offset + 1:]
    raise AssertionError("no long stream in the unsigned document")
