"""Server-sent events read line by line, for the tests that read event streams."""

from __future__ import annotations

import json


class SseReader:
    """Feed it a stream's lines; it hands back each finished event as {"event", "id", "data"},
    data parsed from JSON (comments and events without data are passed over)."""

    def __init__(self) -> None:
        self.event: dict = {}

    def feed(self, line: str) -> dict | None:
        """The event that ``line`` ends, or None."""
        if not line:
            event, self.event = self.event, {}
            return {**event, "data": json.loads(event["data"])} if "data" in event else None
        if not line.startswith(":"):
            field, _, value = line.partition(":")
            self.event[field] = value.removeprefix(" ")
        return None
