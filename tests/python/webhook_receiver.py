"""A webhook receiver for Keyward's tests (spec F5): a plain HTTP server that checks each POST's
x-apple-signature with Python's own hmac module (independently of Keyward's code), and appends a
JSON line per request to RECORD: {"path", "signature_ok", "body"}. The first FAIL_FIRST requests
are answered 500, to exercise retries. Prints its port on the first line.

Usage: webhook_receiver.py SECRET RECORD [FAIL_FIRST] [PORT]"""
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1].encode()
RECORD = sys.argv[2]
FAIL_FIRST = int(sys.argv[3]) if len(sys.argv) > 3 else 0
PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
seen = 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        expected = "hmacsha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        signature = self.headers.get("x-apple-signature", "")
        ok = hmac.compare_digest(expected, signature)
        seen += 1
        with open(RECORD, "a") as f:
            f.write(json.dumps({"path": self.path, "signature_ok": ok, "body": json.loads(body or b"null")}) + "\n")
        status = 500 if seen <= FAIL_FIRST else (200 if ok else 401)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"received" if status == 200 else b"no")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
