"""After an unexpected error the answer is the 500 page and the connection stays usable."""

import http.client
import socket
import threading
import time

import pytest
import uvicorn

from app.main import app
from tests.conftest import FAILING_PATH

BOOM = FAILING_PATH


@pytest.fixture
def server(engine, failing_routes):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    instance.should_exit = True
    thread.join(10)


def test_a_500_keeps_the_connection_open_for_the_next_request(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("GET", BOOM)
    failed = connection.getresponse()
    body = failed.read().decode()
    assert failed.status == 500
    assert "Sorry, there is a problem with the service" in body
    assert failed.getheader("content-security-policy").startswith("default-src 'self'")
    assert failed.getheader("connection") != "close"

    connection.request("GET", "/healthz")  # the same connection
    after = connection.getresponse()
    assert after.status == 200
    assert after.read().startswith(b'{"status":"ok"')
    connection.close()


def test_an_api_500_is_json(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("GET", "/api" + BOOM, headers={"Authorization": "Bearer sr_anything"})
    failed = connection.getresponse()
    assert failed.status == 500
    assert failed.read() == b'{"detail":"Internal error"}'
    connection.close()
