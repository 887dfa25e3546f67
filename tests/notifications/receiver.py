"""A real HTTP server on 127.0.0.1 that records webhook requests and can be told to fail, to
answer slowly, to trickle its answer byte by byte, or never to answer."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Answer:
    """How the receiver answers the requests to one path."""

    status: int = 200
    body: bytes = b"ok"
    # Seconds between two bytes of the body, sent after the status line and headers...
    drip: float = 0.0
    # ...or of the status line and headers too.
    drip_head: bool = False
    # Read the request, then answer nothing until the receiver stops.
    hang: bool = False


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []  # answered in order, then `default_status`
        self.default_status = 200
        self.delay = 0.0
        self.answers: dict[str, Answer] = {}  # by path: these paths answer as told
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    answer = receiver.answers.get(self.path)
                    if answer is not None:
                        status = answer.status
                    else:
                        status = receiver.statuses.pop(0) if receiver.statuses else None
                        status = status or receiver.default_status
                    delay = receiver.delay
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, status)
                    )
                if answer is not None:
                    self.answer_as_told(answer)
                    return
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def answer_as_told(self, answer: Answer) -> None:
                self.close_connection = True
                if answer.hang:
                    receiver.stopping.wait()
                    return
                head = (
                    f"HTTP/1.1 {answer.status} {self.responses.get(answer.status, ('',))[0]}\r\n"
                    f"Content-Length: {len(answer.body)}\r\n\r\n"
                ).encode("latin-1")
                try:
                    if answer.drip_head:
                        self.trickle(head, answer.drip)
                    else:
                        self.wfile.write(head)
                    self.trickle(answer.body, answer.drip)
                except OSError:
                    pass  # the client hung up: what a deadline does

            def trickle(self, data: bytes, pause: float) -> None:
                for index in range(len(data)):
                    if pause and receiver.stopping.wait(pause):
                        return
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received()) >= count:
                return self.received()
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} requests, got {len(self.received())}")
