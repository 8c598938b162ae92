"""Helpers shared by the training API tests."""

import json


def preset(client, name):
    response = client.get("/api/train/presets")
    assert response.status_code == 200
    return {p["name"]: p for p in response.json()["presets"]}[name]["state"]


def events(text):
    """Parse an event stream into [(event, id, data)]."""
    out = []
    for block in text.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            fields[key] = value
        out.append((fields.get("event"), fields.get("id"), json.loads(fields["data"])))
    return out
