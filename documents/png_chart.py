"""Bar charts as PNG images for Word documents, drawn without a plotting library: coloured bars on a light
grid (the labels and figures go in the table beside the chart)."""
from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

PALETTE = ((21, 101, 192), (46, 125, 50), (249, 168, 37), (198, 40, 40), (106, 27, 154), (0, 131, 143))


def _png(width: int, height: int, pixels: bytearray) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def bar_chart(values: Sequence[float], *, maximum: float | None = None, width: int = 900, height: int = 360,
              colours: Sequence[tuple[int, int, int]] = PALETTE) -> bytes:
    """One bar per value, left to right, scaled to `maximum` (the largest value by default), with a grid line
    every quarter."""
    pixels = bytearray(b"\xff" * (width * height * 3))

    def fill(x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
        for y in range(max(0, y0), min(height, y1)):
            start = (y * width + max(0, x0)) * 3
            pixels[start:start + (min(width, x1) - max(0, x0)) * 3] = bytes(rgb) * (min(width, x1) - max(0, x0))

    top, bottom, left, right = 10, height - 10, 10, width - 10
    for q in range(5):
        y = bottom - (bottom - top) * q // 4
        fill(left, y, right, y + 1, (210, 215, 222))
    peak = maximum or max(values, default=0) or 1
    if values:
        slot = (right - left) / len(values)
        for i, value in enumerate(values):
            x0 = int(left + i * slot + slot * 0.15)
            x1 = int(left + (i + 1) * slot - slot * 0.15)
            bar = int((bottom - top) * max(0.0, min(value, peak)) / peak)
            fill(x0, bottom - bar, max(x1, x0 + 1), bottom, colours[i % len(colours)])
    return _png(width, height, pixels)
