"""The OpenType font of the visible signature stamps.

pyHanko's GlyphAccumulator parses and subsets the whole font file for every stamp: with a CJK font of
~21,000 glyphs (wqy-microhei) that is ~0.5-0.9 s per signature. Instead the font is parsed once per process
and, per stamp, a tiny TrueType font holding only the glyphs of that stamp's text is built (a few ms) and
handed to pyHanko, which embeds it as usual (Type0/CIDFontType2 with ToUnicode: the text stays extractable).

The subset is scaled to 1000 units per em: pyHanko 0.38 writes raw glyph advances into the PDF /W array,
which is only right for 1000-unit fonts (wqy-microhei has 2048, so every glyph got twice its width).
"""
from __future__ import annotations

import io
import string
import threading
from functools import lru_cache
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.recordingPen import DecomposingRecordingPen, replayRecording as replay_recording
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

# Always present: pyHanko formats the signing time (digits and separators) into the stamp at signing time.
_PDF_UNITS_PER_EM = 1000
_ALWAYS = string.digits + " -:./+"


class StampFont:
    """One parsed font (a .ttf/.otf, or face 0 of a .ttc) that cuts per-stamp subsets of itself."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        font = TTFont(str(self.path), fontNumber=0, lazy=True)
        self._font = font
        self._cmap = font.getBestCmap()
        self._glyphs = font.getGlyphSet()
        self._hmtx = font["hmtx"].metrics
        self._units_per_em = font["head"].unitsPerEm
        hhea, os2 = font["hhea"], font["OS/2"]
        self._vmetrics = (hhea.ascent, hhea.descent, hhea.lineGap, os2.sTypoAscender, os2.sTypoDescender,
                          os2.usWinAscent, os2.usWinDescent)
        names = font["name"]
        self.family = (names.getDebugName(1) or "Stamp").replace(" ", "")
        self._outlines: dict[str, list] = {}
        self._lock = threading.Lock()

    def subset_font(self, text: str) -> bytes:
        return self._subset(frozenset(text + _ALWAYS))

    def engine_factory(self, text: str, font_size: int = 10) -> "SubsetFontFactory":
        """A pyHanko FontEngineFactory for a stamp whose text (apart from the timestamp) is `text`."""
        return SubsetFontFactory(font_file=str(self.path), font_size=font_size,
                                 font_bytes=self.subset_font(text))

    @lru_cache(maxsize=256)
    def _subset(self, chars: frozenset[str]) -> bytes:
        with self._lock:  # fontTools decompiles glyphs lazily: not thread-safe
            return self._build(chars)

    def _outline(self, name: str) -> list:
        outline = self._outlines.get(name)
        if outline is None:
            recording = DecomposingRecordingPen(self._glyphs)  # composites flattened: no component lookups
            self._glyphs[name].draw(recording)
            outline = self._outlines[name] = recording.value
        return outline

    def _build(self, chars: frozenset[str]) -> bytes:
        scale = _PDF_UNITS_PER_EM / self._units_per_em
        order = [".notdef"]
        cmap: dict[int, str] = {}
        for ch in sorted(chars):
            name = self._cmap.get(ord(ch))
            if name is None:
                continue  # drawn as .notdef (a box) rather than failing the signature
            if name not in order:
                order.append(name)
            cmap[ord(ch)] = name
        glyphs, metrics = {}, {}
        for name in order:
            pen = TTGlyphPen(None)
            replay_recording(self._outline(name), TransformPen(pen, (scale, 0, 0, scale, 0, 0)))
            glyphs[name] = pen.glyph()
            advance, lsb = self._hmtx[name]
            metrics[name] = (round(advance * scale), round(lsb * scale))
        ascent, descent, line_gap, typo_asc, typo_desc, win_asc, win_desc = (
            round(v * scale) for v in self._vmetrics)
        fb = FontBuilder(_PDF_UNITS_PER_EM, isTTF=True)
        fb.setupGlyphOrder(order)
        fb.setupCharacterMap(cmap)
        fb.setupGlyf(glyphs)
        fb.setupHorizontalMetrics(metrics)
        fb.setupHorizontalHeader(ascent=ascent, descent=descent, lineGap=line_gap)
        fb.setupNameTable({"familyName": self.family, "styleName": "Regular",
                           "psName": f"{self.family}-Stamp"})
        fb.setupOS2(sTypoAscender=typo_asc, sTypoDescender=typo_desc, usWinAscent=win_asc,
                    usWinDescent=win_desc)
        fb.setupPost()
        buf = io.BytesIO()
        fb.save(buf)
        return buf.getvalue()


class SubsetFontFactory(GlyphAccumulatorFactory):
    def __init__(self, font_file: str, font_size: int, font_bytes: bytes):
        super().__init__(font_file=font_file, font_size=font_size)
        self._font_bytes = font_bytes

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(self._font_bytes),
                                font_size=self.font_size, obj_stream=obj_stream)


_FONTS: dict[Path, StampFont] = {}
_FONTS_LOCK = threading.Lock()


def stamp_font(path: str | Path) -> StampFont:
    """The process-wide StampFont for a font file (parsed on first use)."""
    key = Path(path).resolve()
    with _FONTS_LOCK:
        font = _FONTS.get(key)
        if font is None:
            if not key.exists():
                raise FileNotFoundError(f"stamp font {key} not found")
            font = _FONTS[key] = StampFont(key)
        return font
