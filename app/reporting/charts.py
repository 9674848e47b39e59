"""ECharts options built from report figures (plain dicts, JSON-safe): the pages put them in `data-chart`
and app/static/js/charts.js draws them. Each chart's figures are also shown as a table beside it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PALETTE = ["#1565c0", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037"]


def bar(categories: Sequence[str], series: dict[str, Sequence[float]], *, stacked: bool = False,
        horizontal: bool = False, unit: str = "") -> dict[str, Any]:
    value_axis = {"type": "value", "name": unit, "minInterval": 1}
    category_axis = {"type": "category", "data": list(categories),
                     "axisLabel": {"interval": 0, "rotate": 0 if horizontal else 30}}
    return {
        "color": PALETTE, "tooltip": {"trigger": "axis"}, "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 32, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [{"name": name, "type": "bar", "data": list(values), **({"stack": "all"} if stacked else {})}
                   for name, values in series.items()],
    }


def line(categories: Sequence[str], series: dict[str, Sequence[float | None]], unit: str = "") -> dict[str, Any]:
    return {
        "color": PALETTE, "tooltip": {"trigger": "axis"}, "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 32, "containLabel": True},
        "xAxis": {"type": "category", "data": list(categories)},
        "yAxis": {"type": "value", "name": unit},
        "series": [{"name": name, "type": "line", "data": list(values), "connectNulls": True}
                   for name, values in series.items()],
    }


def pie(items: Sequence[tuple[str, float]]) -> dict[str, Any]:
    return {
        "color": PALETTE, "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"type": "scroll", "bottom": 0},
        "series": [{"type": "pie", "radius": ["35%", "65%"], "data": [{"name": n, "value": v} for n, v in items],
                    "label": {"formatter": "{b}\n{d}%"}}],
    }
