"""Bar charts as PNG images for Word documents (matplotlib, Agg): a title, a label on each axis with its unit,
the category names under (or beside) the bars and each bar's figure on it, all in the CJK font the documents
use (documents.settings.DEFAULT_FONT), so Chinese text shows instead of empty boxes."""
from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from documents.settings import DEFAULT_FONT  # noqa: E402

PALETTE = ("#1565c0", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037")
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@dataclass(frozen=True)
class BarChart:
    """One chart: a bar per category. `unit` is shown on the value axis and after each bar's figure."""
    title: str
    categories: Sequence[str]
    values: Sequence[float]
    category_label: str
    value_label: str
    unit: str = ""
    horizontal: bool = False
    maximum: float | None = None
    source: str = field(default="")     # the data source and snapshot date, under the chart


@lru_cache(maxsize=4)
def _font(path: str) -> font_manager.FontProperties:
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def _figure_text(value: float, unit: str) -> str:
    text = f"{value:.1f}" if value != int(value) else f"{int(value)}"
    return f"{text}{unit}" if unit == "%" else text


def _top(chart: BarChart) -> float:
    """The value axis ends a little above the largest bar (or the chart's maximum), never below zero."""
    peak = chart.maximum or max((float(v) for v in chart.values), default=0.0)
    return peak * 1.1 if peak > 0 else 1.0


def render_bar_chart(chart: BarChart, *, font_path: Path = DEFAULT_FONT, width_in: float = 7.5,
                     dpi: int = 150) -> bytes:
    """The chart as PNG bytes."""
    with _LOCK:
        font = _font(str(font_path))
        rows = max(1, len(chart.values))
        height_in = max(3.2, 0.38 * rows + 1.6) if chart.horizontal else 4.2
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        ax = fig.add_subplot()
        positions = list(range(len(chart.values)))
        colours = [PALETTE[i % len(PALETTE)] for i in positions]
        unit_text = f"（{chart.unit}）" if chart.unit else ""
        if chart.horizontal:
            bars = ax.barh(positions, chart.values, color=colours)
            ax.set_yticks(positions, [str(c) for c in chart.categories], fontproperties=font)
            ax.invert_yaxis()
            ax.set_xlabel(chart.value_label + unit_text, fontproperties=font)
            ax.set_ylabel(chart.category_label, fontproperties=font)
            ax.set_xlim(0, _top(chart))
            ax.xaxis.set_major_locator(MaxNLocator(integer=chart.unit != "%"))
        else:
            bars = ax.bar(positions, chart.values, color=colours)
            ax.set_xticks(positions, [str(c) for c in chart.categories], fontproperties=font,
                          rotation=30 if len(positions) > 5 else 0, ha="right" if len(positions) > 5 else "center")
            ax.set_ylabel(chart.value_label + unit_text, fontproperties=font)
            ax.set_xlabel(chart.category_label, fontproperties=font)
            ax.set_ylim(0, _top(chart))
            ax.yaxis.set_major_locator(MaxNLocator(integer=chart.unit != "%"))
        ax.bar_label(bars, labels=[_figure_text(v, chart.unit) for v in chart.values], padding=2, fontsize=8,
                     fontproperties=font)
        for label in ax.get_xticklabels() + ax.get_yticklabels():
            label.set_fontproperties(font)
        ax.set_title(chart.title, fontproperties=font, fontsize=12)
        ax.grid(axis="x" if chart.horizontal else "y", color="#d2d7de", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if chart.source:
            fig.text(0.01, 0.01, chart.source, fontproperties=font, fontsize=7, color="#555555")
        fig.tight_layout(rect=(0, 0.04 if chart.source else 0, 1, 1))
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
