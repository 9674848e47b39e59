"""Per-stamp font subsets: only the needed glyphs, 1000 units per em, composites flattened."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from documents.fonts import stamp_font
from documents.settings import DEFAULT_FONT

pytestmark = pytest.mark.skipif(not Path(DEFAULT_FONT).exists(),
                                reason=f"{DEFAULT_FONT} missing (Debian package fonts-wqy-microhei)")


def test_subset_holds_the_stamp_text_at_1000_units_per_em():
    font = stamp_font(DEFAULT_FONT)
    data = font.subset_font("张三丰 毕业生签名")
    tiny = TTFont(io.BytesIO(data))
    cmap = tiny.getBestCmap()
    assert all(ord(ch) in cmap for ch in "张三丰毕业生签名0123456789-:")
    assert tiny["head"].unitsPerEm == 1000
    assert tiny["hmtx"][cmap[ord("张")]][0] == 1000  # a full-width ideograph is one em
    assert len(tiny.getGlyphOrder()) < 40
    assert len(data) < 40_000


def test_characters_missing_from_the_font_do_not_fail():
    assert stamp_font(DEFAULT_FONT).subset_font("\U0001F600 测试")
