"""A real SMTP server for Keyward's mail tests (aiosmtpd): listens on a free loopback port, prints
"listening PORT" once ready, and writes every message it receives as DIR/<n>.eml.

usage: smtp_capture.py DIR
"""
import itertools
import pathlib
import socket
import sys

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        text = envelope.content.decode("utf8", errors="replace")
        head = f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
        tmp = self.directory / f"{n}.tmp"
        tmp.write_text(head + text)
        tmp.rename(self.directory / f"{n}.eml")
        return "250 Message accepted"


def main() -> None:
    directory = pathlib.Path(sys.argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Capture(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        sys.stdin.read()  # runs until the test closes stdin or kills it
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
