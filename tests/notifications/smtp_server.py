"""A real SMTP server on 127.0.0.1 (the few commands of RFC 5321 that a client sending mail
uses) that records the messages it accepts and can be told to stall or to answer slowly."""

import socketserver
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message


@dataclass
class Accepted:
    recipients: list[str]
    notification_id: str  # the X-Notification-Id header
    message: Message


class SMTPServer:
    def __init__(
        self,
        *,
        stall_connections: int = 0,
        reply_delay: float = 0.0,
        data_reply_delay: float = 0.0,
        stall_on_quit: bool = False,
        refuse_recipients: dict[str, str] | None = None,
        refuse_data: str = "",
        refuse_sender: str = "",
    ) -> None:
        # The first `stall_connections` connections are accepted and never answered.
        self.stall_connections = stall_connections
        # Seconds before every reply (the greeting included).
        self.reply_delay = reply_delay
        # Seconds between receiving a message (it is recorded then) and saying "250" to it.
        self.data_reply_delay = data_reply_delay
        # Never answer QUIT (after accepting the message).
        self.stall_on_quit = stall_on_quit
        # Replies other than "250 OK": per recipient address to RCPT, to the message after DATA,
        # to MAIL FROM (e.g. "550 5.1.1 No such user", "554 5.7.1 Rejected", "451 Try later").
        self.refuse_recipients = refuse_recipients or {}
        self.refuse_data = refuse_data
        self.refuse_sender = refuse_sender
        self.accepted: list[Accepted] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with smtp.lock:
                    smtp.connections += 1
                    stall = smtp.connections <= smtp.stall_connections
                if stall:
                    smtp.stopping.wait()
                    return
                with suppress(OSError):  # the client hung up
                    self.converse()

            def reply(self, text: str, delay: float = 0.0) -> bool:
                if smtp.stopping.wait(smtp.reply_delay + delay):
                    return False
                self.wfile.write(text.encode("ascii") + b"\r\n")
                return True

            def converse(self) -> None:
                if not self.reply("220 localhost test SMTP"):
                    return
                recipients: list[str] = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line[:4].upper()
                    if command == b"MAIL":
                        recipients = []
                        answered = self.reply(smtp.refuse_sender or "250 OK")
                    elif command in (b"EHLO", b"HELO", b"RSET", b"NOOP"):
                        answered = self.reply("250 OK")
                    elif command == b"RCPT":
                        address = line.split(b":", 1)[1].strip().strip(b"<>").decode()
                        refusal = smtp.refuse_recipients.get(address)
                        if refusal is None:
                            recipients.append(address)
                        answered = self.reply(refusal or "250 OK")
                    elif command == b"DATA":
                        if not self.reply("354 End data with <CR><LF>.<CR><LF>"):
                            return
                        if smtp.refuse_data:
                            self.receive(None)
                            answered = self.reply(smtp.refuse_data)
                        else:
                            self.receive(recipients)
                            answered = self.reply("250 OK: queued", smtp.data_reply_delay)
                    elif command == b"QUIT":
                        if smtp.stall_on_quit:
                            smtp.stopping.wait()
                            return
                        self.reply("221 Bye")
                        return
                    else:
                        answered = self.reply("502 Command not implemented")
                    if not answered:
                        return

            def receive(self, recipients: list[str] | None) -> None:
                """Read one message; record it unless it is refused (`recipients` None)."""
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line == b".\r\n":
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                if recipients is None:
                    return
                message = message_from_bytes(b"".join(lines))
                with smtp.lock:
                    smtp.accepted.append(
                        Accepted(list(recipients), message.get("X-Notification-Id", ""), message)
                    )

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SMTPServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[Accepted]:
        with self.lock:
            return list(self.accepted)

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for accepted in self.messages():
            for recipient in accepted.recipients:
                counts[recipient] = counts.get(recipient, 0) + 1
        return counts

    def wait_for(self, count: int, timeout: float = 30) -> list[Accepted]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                return self.messages()
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} messages, got {len(self.messages())}")
