"""The load and the sampling of scripts/soak (spec D5).

Drives two `keyward serve` nodes behind nginx with a mixed load for MINUTES: reads of Keyward's
own API with fresh and cached tokens, writes of section-12 resources (bundle IDs), keys created,
used and revoked every few seconds, gateway requests to an upstream, console sign-ins. Every 30 s
it samples each node's RSS and open file descriptors, the window's p50 and p99 and its statuses,
and appends a row to the CSV. At the end it checks every acknowledged write against the API and
writes an SVG chart. Exits 1 if anything but a designed refusal (401 after a revocation, 429)
happened, a write was lost, or memory, descriptors or p99 were not flat within 10% after warm-up.
"""

import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import jwt  # PyJWT, from the test virtualenv

ISSUER = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab"
# An ADMIN team key the script made for the soak.
SEEDED_KEY = (os.environ["SOAK_KEY_ID"], open(os.environ["SOAK_KEY_FILE"], "rb").read())


def token(key_id, pem, audience="appstoreconnect-v1", lifetime=1200):
    now = int(time.time())
    claims = {"iss": ISSUER, "iat": now, "exp": now + lifetime, "aud": audience}
    return jwt.encode(claims, pem, algorithm="ES256", headers={"kid": key_id, "typ": "JWT"})


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.window = []  # (seconds, status, kind)
        self.unexpected = []

    def add(self, took, status, kind, designed=()):
        with self.lock:
            self.window.append((took, status, kind))
            if status not in (200, 201, 204, 303) and status not in designed:
                self.unexpected.append((time.time(), kind, status))

    def take(self):
        with self.lock:
            window, self.window = self.window, []
        return window


_local = threading.local()


def request(host, port, method, path, headers=None, body=None):
    """One request on this thread's kept-alive connection (a new one after a failure), as a
    client library would: no socket per request, so no pile of TIME_WAIT ports."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = http.client.HTTPConnection(host, port, timeout=10)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            _local.conn = None
        return response.status, data, time.monotonic() - started, response
    except (OSError, http.client.HTTPException):
        conn.close()
        _local.conn = None
        return 0, b"", time.monotonic() - started, None


class Cached:
    """A token made once and used until it is ten minutes old (tokens live twenty)."""

    def __init__(self, audience="appstoreconnect-v1"):
        self.audience, self.lock, self.made, self.value = audience, threading.Lock(), 0.0, ""

    def get(self):
        with self.lock:
            if time.monotonic() - self.made > 600:
                self.value, self.made = token(*SEEDED_KEY, audience=self.audience), time.monotonic()
            return self.value


def cli(*args):
    out = subprocess.run([os.environ["SOAK_KEYWARD"], "--database-url", os.environ["SOAK_DATABASE_URL"], *args],
                         capture_output=True, text=True, check=True, cwd=os.environ["SOAK_WORK"])
    return out.stdout


def main():
    minutes = float(sys.argv[1])
    lb_port = int(os.environ["SOAK_LB_PORT"])
    pids = [int(p) for p in os.environ["SOAK_PIDS"].split(",")]
    out_csv, out_svg = os.environ["SOAK_CSV"], os.environ["SOAK_SVG"]
    rec = Recorder()
    stop = threading.Event()
    cached = Cached()
    for_gateway = Cached("acme-api-v1")
    host = "127.0.0.1"

    def api_reader():
        while not stop.is_set():
            fresh = random.random() < 0.2
            # Fresh ones as fastlane makes them (500 s): each is cached until it expires (T15),
            # so the cache, and RSS with it, fills for one token lifetime, within the warm-up.
            t = token(*SEEDED_KEY, lifetime=500) if fresh else cached.get()
            path = random.choice(["/v1/apps", "/v1/users", "/v1/bundleIds?limit=20", "/v1/apps?limit=5"])
            status, _, took, _ = request(host, lb_port, "GET", path, {"Authorization": f"Bearer {t}"})
            rec.add(took, status, "read", designed=(429,))

    live, deleted = [], []  # bundle IDs acknowledged as made (and not deleted), and as deleted

    def writer():
        """Makes bundle IDs and, past 300 of them, deletes the oldest for each new one: the data
        stays the same size, so what grows over the run is the server, not its data."""
        n = 0
        headers = lambda: {"Authorization": f"Bearer {cached.get()}", "Content-Type": "application/json"}
        while not stop.is_set():
            n += 1
            ident = f"com.acme.soak.{os.getpid()}.{n}"
            body = json.dumps({"data": {"type": "bundleIds", "attributes": {
                "identifier": ident, "name": f"Soak {n}", "platform": "IOS"}}})
            status, data, took, _ = request(host, lb_port, "POST", "/v1/bundleIds", headers(), body)
            rec.add(took, status, "write", designed=(429,))
            if status == 201:
                with rec.lock:
                    live.append(json.loads(data)["data"]["id"])
            if len(live) > 300:
                oldest = live[0]
                status, _, took, _ = request(host, lb_port, "DELETE", f"/v1/bundleIds/{oldest}", headers())
                rec.add(took, status, "delete", designed=(429,))
                if status == 204:
                    with rec.lock:
                        live.pop(0)
                        deleted.append(oldest)
            time.sleep(0.02)

    def gateway():
        while not stop.is_set():
            status, _, took, _ = request(host, lb_port, "GET", f"/widgets/{random.randint(1, 99)}",
                                         {"Authorization": f"Bearer {for_gateway.get()}"})
            rec.add(took, status, "gateway", designed=(429,))

    node_ports = [int(p) for p in os.environ["SOAK_NODE_PORTS"].split(",")]
    propagation = []  # seconds until every node saw a key the CLI made or revoked

    def on_every_node(t, wanted):
        """Asks each node directly until it answers `wanted` for this token: how long it took,
        or None after 2 s. (The CLI writes the database; nodes learn it from the change feed.)"""
        started = time.monotonic()
        for port in node_ports:
            while True:
                status, _, _, _ = request(host, port, "GET", "/v1/apps", {"Authorization": f"Bearer {t}"})
                if status == wanted:
                    break
                if time.monotonic() - started > 2:
                    return None
                time.sleep(0.005)
        return time.monotonic() - started

    def revoker():
        n = 0
        while not stop.is_set():
            n += 1
            made = json.loads(cli("admin", "key", "create", "--team", "Acme", "--name", f"soak {n}",
                                  "--roles", "DEVELOPER", "--out", os.environ["SOAK_WORK"], "--json"))
            pem = open(made["file"], "rb").read()
            os.remove(made["file"])
            t = token(made["key_id"], pem)
            seen = on_every_node(t, 200)
            if seen is None:
                rec.add(2.0, -1, "new key unknown after 2 s")
            else:
                propagation.append(seen)
            for _ in range(5):
                status, _, took, _ = request(host, lb_port, "GET", "/v1/apps", {"Authorization": f"Bearer {t}"})
                rec.add(took, status, "new key", designed=(429,))
            cli("admin", "key", "revoke", "--team", "Acme", made["key_id"])
            gone = on_every_node(t, 401)
            if gone is None:
                rec.add(2.0, -1, "revoked key still accepted after 2 s")
            else:
                propagation.append(gone)
            status, _, took, _ = request(host, lb_port, "GET", "/v1/apps", {"Authorization": f"Bearer {t}"})
            rec.add(took, status, "revoked key", designed=(401,))
            if status != 401:
                rec.add(took, -status, "revoked key accepted")
            stop.wait(3)

    def console():
        form = urllib.parse.urlencode({"email": "soak@acme.test", "password": os.environ["SOAK_PASSWORD"]})
        while not stop.is_set():
            status, _, took, response = request(host, lb_port, "POST", "/login", {
                "Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{host}:{lb_port}",
                "Host": f"{host}:{lb_port}"}, form)
            signed_in = status == 303 and response is not None and "keyward_session" in (response.getheader("set-cookie") or "")
            rec.add(took, status if signed_in or status != 303 else -1, "sign-in")
            stop.wait(5)

    threads = [threading.Thread(target=f, daemon=True) for f in
               [api_reader, api_reader, api_reader, writer, gateway, gateway, revoker, console]]
    for t in threads:
        t.start()

    def fds(pid):
        return len(os.listdir(f"/proc/{pid}/fd"))

    def rss_kib(pid):
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    rows = []
    with open(out_csv, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["minute", "requests", "p50_ms", "p99_ms", "errors", "rss_kib_a", "rss_kib_b", "fds_a", "fds_b",
                      "refused_401", "limited_429"])
        started = time.monotonic()
        while time.monotonic() - started < minutes * 60:
            time.sleep(30)
            window = rec.take()
            times = sorted(w[0] for w in window) or [0.0]
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            with rec.lock:
                errors = len(rec.unexpected)
            row = [round((time.monotonic() - started) / 60, 2), len(window), round(statistics.median(times) * 1000, 2),
                   round(p99 * 1000, 2), errors, rss_kib(pids[0]), rss_kib(pids[1]), fds(pids[0]), fds(pids[1]),
                   sum(1 for w in window if w[1] == 401), sum(1 for w in window if w[1] == 429)]
            rows.append(row)
            out.writerow(row)
            f.flush()
            print("soak:", dict(zip(["minute", "requests", "p50_ms", "p99_ms", "errors", "rss_a", "rss_b", "fds_a",
                                     "fds_b", "401", "429"], row)), flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=15)

    # Every acknowledged write holds: what was made is there, what was deleted is gone.
    lost = []
    auth = {"Authorization": f"Bearer {cached.get()}"}
    for ident in live:
        status, _, _, _ = request(host, lb_port, "GET", f"/v1/bundleIds/{ident}", auth)
        if status != 200:
            lost.append((ident, "made", status))
    for ident in deleted:
        status, _, _, _ = request(host, lb_port, "GET", f"/v1/bundleIds/{ident}", auth)
        if status != 404:
            lost.append((ident, "deleted", status))
    chart(rows, out_svg)
    # Flat: no drift. After the warm-up (the first third: longer than a fresh token's life, so the
    # verified-token cache has reached its steady size), the median of the last third of the
    # windows is within 10% of the median of the first third. A single window's p99 moves by more
    # than that on a shared 2-core machine whichever way; a leak or a slowing path moves the
    # medians, in one direction.
    warm = rows[len(rows) // 3:] if len(rows) >= 3 else rows
    def drift(column):
        values = [r[column] for r in warm]
        third = max(1, len(values) // 3)
        first, last = statistics.median(values[:third]), statistics.median(values[-third:])
        return round((last - first) / first, 3) if first else 0.0
    def flat(column):
        return abs(drift(column)) <= 0.10
    verdict = {
        "acknowledged_creates": len(live) + len(deleted), "acknowledged_deletes": len(deleted),
        "lost_writes": len(lost), "unexpected": len(rec.unexpected),
        "rss_flat": flat(5) and flat(6), "fds_flat": flat(7) and flat(8), "p99_flat": flat(3),
        "throughput_flat": flat(1),
        "drift": {"requests": drift(1), "p50": drift(2), "p99": drift(3), "rss_a": drift(5), "rss_b": drift(6)},
        "cli_changes_on_every_node_ms": {
            "p50": round(statistics.median(propagation) * 1000, 1) if propagation else None,
            "max": round(max(propagation) * 1000, 1) if propagation else None},
    }
    print("soak verdict:", json.dumps(verdict), flush=True)
    if rec.unexpected:
        print("unexpected answers (first 20):", rec.unexpected[:20], flush=True)
    if lost:
        print("lost writes:", lost[:20], flush=True)
    ok = (not lost and not rec.unexpected and verdict["rss_flat"] and verdict["fds_flat"] and verdict["p99_flat"]
          and verdict["throughput_flat"])
    sys.exit(0 if ok else 1)


def chart(rows, path):
    """An SVG of RSS (both nodes), p99 and requests per window against minutes."""
    width, height, pad = 900, 420, 50
    if not rows:
        open(path, "w").write("<svg xmlns='http://www.w3.org/2000/svg'/>")
        return
    xs = [r[0] for r in rows]
    x = lambda v: pad + (v - min(xs)) / max(1e-9, max(xs) - min(xs)) * (width - 2 * pad)
    series = [("RSS node a (MiB)", [r[5] / 1024 for r in rows], "#1f77b4"),
              ("RSS node b (MiB)", [r[6] / 1024 for r in rows], "#17becf"),
              ("p99 (ms)", [r[3] for r in rows], "#d62728"),
              ("requests per 30 s / 100", [r[1] / 100 for r in rows], "#2ca02c")]
    top = max(max(s[1]) for s in series) * 1.1 or 1
    y = lambda v: height - pad - v / top * (height - 2 * pad)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='sans-serif' font-size='12'>",
             f"<rect width='{width}' height='{height}' fill='white'/>",
             f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='black'/>",
             f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='black'/>",
             f"<text x='{width / 2}' y='{height - 12}' text-anchor='middle'>minutes</text>",
             f"<text x='{pad}' y='{pad - 10}'>0 to {top:.0f}</text>"]
    for i, (name, values, colour) in enumerate(series):
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(xs, values))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>")
        parts.append(f"<text x='{width - pad - 200}' y='{pad + 16 * i}' fill='{colour}'>{name}</text>")
    for m in range(int(min(xs)), int(max(xs)) + 1, max(1, int((max(xs) - min(xs)) / 10) or 1)):
        parts.append(f"<text x='{x(m):.1f}' y='{height - pad + 16}' text-anchor='middle'>{m}</text>")
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts))


if __name__ == "__main__":
    main()
