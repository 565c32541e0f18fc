"""An IMAP server that answers with the shapes Exchange Online uses, for replay tests of the FETCH parser.

It is not a mail server: it knows one folder of fixed messages and answers the
commands `ImapMailbox` sends (CAPABILITY, LOGIN, LIST, SELECT, STATUS, UID
SEARCH, UID FETCH, LOGOUT) the way Exchange does: RFC822.SIZE before UID, the
body literal first and UID and INTERNALDATE after it, an unsolicited FLAGS
response in between, and no answer at all for a message it cannot produce.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Stored:
    uid: int
    raw: bytes
    internaldate: str  # "02-Mar-2026 09:00:00 +0100"
    answer: bool = True  # False: Exchange gives its size, then nothing when its body is asked for


GREETING = b"* OK The Microsoft Exchange IMAP4 service is ready. [TQBBADIAUABSADAAMQBDAEEAMAAwADAANQAuAGUAdQByAA==]\r\n"
CAPABILITY = (b"IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE "
              b"LITERAL+")


class ExchangeReplay:
    def __init__(self, messages: list[Stored], uidvalidity: int = 14) -> None:
        self.messages = messages
        self.uidvalidity = uidvalidity
        self.commands: list[str] = []
        replay = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(GREETING)
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    tag, _, rest = line.decode().strip().partition(" ")
                    replay.commands.append(rest)
                    if not replay.answer(self.wfile, tag, rest):
                        return

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self) -> ExchangeReplay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _by_seq(self) -> list[tuple[int, Stored]]:
        return list(enumerate(self.messages, start=1))

    def answer(self, out: object, tag: str, rest: str) -> bool:
        w = out.write  # type: ignore[attr-defined]
        cmd = rest.split(" ", 1)[0].upper()
        if cmd == "CAPABILITY":
            w(b"* CAPABILITY " + CAPABILITY + b"\r\n")
        elif cmd == "LOGIN":
            pass
        elif cmd == "LIST":
            name = rest.rsplit(" ", 1)[-1].strip('"')
            w(f'* LIST (\\HasNoChildren) "/" {name}\r\n'.encode())
        elif cmd in ("SELECT", "EXAMINE"):
            w(f"* {len(self.messages)} EXISTS\r\n* 0 RECENT\r\n".encode())
            w(b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r\n")
            w(f"* OK [UIDVALIDITY {self.uidvalidity}] UIDVALIDITY value\r\n".encode())
            w(f"{tag} OK [READ-WRITE] {cmd} completed.\r\n".encode())
            return True
        elif cmd == "STATUS":
            w(f"* STATUS INBOX (UIDVALIDITY {self.uidvalidity})\r\n".encode())
        elif cmd == "UID" and " SEARCH" in rest.upper():
            w(("* SEARCH " + " ".join(str(m.uid) for m in self.messages) + "\r\n").encode())
        elif cmd == "UID" and " FETCH " in rest.upper():
            m = re.match(r"UID FETCH (\S+) \((.*)\)", rest, re.I)
            assert m, rest
            wanted = {int(u) for u in m.group(1).split(",")}
            items = m.group(2).upper()
            for seq, msg in self._by_seq():
                if msg.uid not in wanted:
                    continue
                if "BODY.PEEK[" in items:
                    if not msg.answer:
                        continue
                    body = msg.raw if "BODY.PEEK[]" in items else msg.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                    section = "BODY[]" if "BODY.PEEK[]" in items else "BODY[HEADER]"
                    w(f"* {seq} FETCH ({section} {{{len(body)}}}\r\n".encode() + body
                      + f' UID {msg.uid} INTERNALDATE "{msg.internaldate}")\r\n'.encode())
                    w(f"* {seq} FETCH (FLAGS (\\Seen))\r\n".encode())  # unsolicited, as Exchange sends them
                else:
                    w(f"* {seq} FETCH (RFC822.SIZE {len(msg.raw)} UID {msg.uid})\r\n".encode())
        elif cmd == "LOGOUT":
            w(b"* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n")
            w(f"{tag} OK LOGOUT completed.\r\n".encode())
            return False
        elif cmd == "NOOP":
            pass
        else:
            w(f"{tag} BAD Command Error. 10\r\n".encode())
            return True
        w(f"{tag} OK {cmd} completed.\r\n".encode())
        return True
