import pytest

from .receiver import WebhookReceiver
from .smtp_server import SMTPServer


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    """Starts a local SMTP server with the given behaviour (see SMTPServer); stopped afterwards."""
    started: list[SMTPServer] = []

    def start(**behaviour) -> SMTPServer:
        server = SMTPServer(**behaviour).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
