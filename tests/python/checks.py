"""What the client scripts share: `check`, which stops at the first failed expectation and counts
the others, `summary`, the line the Rust tests look for, and `point_asconnect_at`, the one change
made to asconnect (it hard-codes Apple's host)."""
import sys

_passed = 0


def check(condition, message):
    global _passed
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    _passed += 1


def summary(name):
    return f"{name}: {_passed} passed, 0 failed"


def point_asconnect_at(base):
    from asconnect.httpclient import HttpClient

    HttpClient.generate_url = lambda self, endpoint: f"{base}/v1/{endpoint}"
