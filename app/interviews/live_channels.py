"""Who may listen to the area's live channels (docs/live.md): a hall's board (`board:<fair>-<hall>`) is public
once its fair is no draft, a booth's console (`booth:<booth>`) is for those who may run that booth. Students
hear of their own calls on their user channel (built in). Listed in the area's registration (area.py)."""
from __future__ import annotations

import re

from app.interviews import queue_queries
from app.platform import live

_BOARD = re.compile(r"(\d{1,10})-(\d{1,10})\Z")


def _board(principal, key: str) -> bool:
    match = _BOARD.match(key)
    return bool(match) and queue_queries.hall(int(match[1]), int(match[2])) is not None


def _booth(principal, key: str) -> bool:
    if principal is None or not key.isascii() or not key.isdigit() or len(key) > 10:
        return False
    return queue_queries.console_booth(principal, int(key)) is not None


CHANNELS = (live.LiveChannel("board", _board), live.LiveChannel("booth", _booth))
