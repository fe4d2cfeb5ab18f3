"""A client configured the way App Store Connect tooling usually is: ASC_* environment variables.
Lists the apps and prints their names, one per line; exits non-zero unless the API answers 200."""
import os
import sys
import time

import jwt
import requests

with open(os.environ["ASC_PRIVATE_KEY_PATH"]) as f:
    key = f.read()
now = int(time.time())
token = jwt.encode(
    {"iss": os.environ["ASC_ISSUER_ID"], "iat": now, "exp": now + 1200, "aud": "appstoreconnect-v1"},
    key,
    algorithm="ES256",
    headers={"kid": os.environ["ASC_KEY_ID"]},
)
r = requests.get(os.environ["ASC_BASE_URL"] + "/v1/apps", headers={"Authorization": f"Bearer {token}"}, timeout=10)
if r.status_code != 200:
    print(r.status_code, r.text, file=sys.stderr)
    sys.exit(1)
for app in r.json()["data"]:
    print(app["attributes"]["name"])
