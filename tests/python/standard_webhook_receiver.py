"""A receiver of Keyward's key events (spec X5) that verifies each POST with the Standard Webhooks
reference library (`standardwebhooks` from PyPI), independently of Keyward's code, and appends a
JSON line per request to RECORD: {"id", "timestamp", "signature_ok", "wrong_secret_refused",
"body"}. The first FAIL_FIRST requests are answered 500, to exercise retries. Prints its port.

Usage: standard_webhook_receiver.py SECRET RECORD [FAIL_FIRST] [PORT]"""
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = sys.argv[1]
RECORD = sys.argv[2]
FAIL_FIRST = int(sys.argv[3]) if len(sys.argv) > 3 else 0
PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
OTHER = "whsec_" + base64.b64encode(b"another secret, 32 bytes long!!!").decode()
seen = 0


def verifies(secret, body, headers):
    try:
        Webhook(secret).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok = verifies(SECRET, body, headers)
        seen += 1
        line = {
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "signature_ok": ok,
            "wrong_secret_refused": not verifies(OTHER, body, headers),
            "body": json.loads(body or "null"),
        }
        with open(RECORD, "a") as f:
            f.write(json.dumps(line) + "\n")
        status = 500 if seen <= FAIL_FIRST else (204 if ok else 401)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
