"""Calls https://api.appstoreconnect.apple.com:PORT through Keyward, trusting the local CA through
REQUESTS_CA_BUNDLE as a real client would, with the host resolved to 127.0.0.1 (the hosts-file line).

Usage: tls_client.py PORT  (ASC_* variables give the key); prints the status code."""
import os
import socket
import sys
import time

import jwt
import requests

port = int(sys.argv[1])
real_getaddrinfo = socket.getaddrinfo


def hosts_file(host, *args, **kwargs):
    if host == "api.appstoreconnect.apple.com":
        host = "127.0.0.1"
    return real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = hosts_file
with open(os.environ["ASC_PRIVATE_KEY_PATH"]) as f:
    key = f.read()
now = int(time.time())
token = jwt.encode({"iss": os.environ["ASC_ISSUER_ID"], "iat": now, "exp": now + 1200, "aud": "appstoreconnect-v1"}, key, algorithm="ES256", headers={"kid": os.environ["ASC_KEY_ID"]})
try:
    r = requests.get(f"https://api.appstoreconnect.apple.com:{port}/v1/apps", headers={"Authorization": f"Bearer {token}"}, timeout=10)
except requests.exceptions.SSLError as e:
    print("certificate verification failed:", e)
    sys.exit(3)
print(r.status_code)
print(r.json()["links"]["self"])
