"""A small Server-Sent Events client for tests (http.client; reads one event at a time)."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit


class SSE:
    def __init__(self, url: str, last_event_id: str | None = None, timeout: float = 10.0):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", f"{parts.path}?{parts.query}", headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.last_id: str | None = None

    def next(self) -> dict:
        """The next event: {"id", "channel", "type", "data"} (keep-alive comments are skipped)."""
        data, event_id = [], None
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("stream closed")
            line = line.decode().rstrip("\r\n")
            if line == "":
                if data:
                    self.last_id = event_id or self.last_id
                    return {"id": event_id, **json.loads("\n".join(data))}
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "id":
                event_id = value

    def until(self, kind: str, limit: int = 50) -> list[dict]:
        """Events up to and including the first of type `kind`."""
        seen = []
        for _ in range(limit):
            seen.append(self.next())
            if seen[-1]["type"] == kind:
                return seen
        raise AssertionError(f"no {kind!r} event among {seen}")

    def close(self) -> None:
        self.conn.close()
