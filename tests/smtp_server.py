"""A small real SMTP server on 127.0.0.1 for tests: it accepts, or refuses named recipients.

Django's SMTP backend talks to it through smtplib exactly as to a real mail server, so the
outbox's handling of what a server says (accepted, 550 for a recipient, connection gone)
is tested without a mock.
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes


class _Session(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server: SMTPServer = self.server.owner
        self._reply("220 test.invalid ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 test.invalid")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>")
                if address in server.refuse:
                    self._reply("550 5.1.1 No such mailbox here")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.accepted.append((list(recipients), message_from_bytes(data)))
                self._reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SMTPServer:
    """Start with `with SMTPServer() as smtp:`; smtp.port, smtp.accepted, smtp.refuse."""

    def __init__(self, refuse: set[str] | None = None):
        self.refuse = set(refuse or ())
        self.accepted: list[tuple[list[str], object]] = []
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
        self._server.daemon_threads = True
        self._server.owner = self
        self.port = self._server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def recipients(self) -> list[str]:
        return [address for to, _ in self.accepted for address in to]
