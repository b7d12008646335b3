"""``avatar serve``: the service comes up on the port of --port, with the --set settings."""

import json
import urllib.request

import pytest

from avatar.server.local import local_server


@pytest.mark.slow
def test_serve_answers_on_its_port_with_its_settings():
    with local_server({"server.max_streams": "3"}) as server:  # avatar serve --port P -q --set ...
        reply = urllib.request.urlopen(f"{server.url}/health", timeout=10)
        status, health = reply.status, json.loads(reply.read())
    assert status == 200 and health["status"] == "ready", health
    assert health["streams"] == {"open": 0, "limit": 3}, health
