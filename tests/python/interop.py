"""An App Store Connect client written the way Python tooling does it (requests + PyJWT), run
against Keyward. Everything it needs comes from the environment (see the Rust test that runs it).
Exits non-zero on the first failed check."""
import os
import sys
import time

import jwt
import requests
from checks import check, summary

BASE = os.environ["KEYWARD_BASE"]
ISSUER = os.environ["ISSUER"]


def token(kid, p8, individual=False):
    with open(p8) as f:
        key = f.read()
    now = int(time.time())
    claims = {"aud": "appstoreconnect-v1", "iat": now, "exp": now + 1200}
    if individual:
        claims["sub"] = "user"
    else:
        claims["iss"] = ISSUER
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})




def call(method, path, tok, body=None, url=None):
    headers = {"Authorization": f"Bearer {tok}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, url or BASE + path, headers=headers, json=body, timeout=10)


def page_through(path, tok):
    url, items = BASE + path, []
    while url:
        r = call("GET", None, tok, url=url)
        check(r.status_code == 200, f"GET {url}: {r.status_code} {r.text}")
        check(r.headers["Content-Type"] == "application/json", "Content-Type is exactly application/json")
        check(r.headers["X-Rate-Limit"].startswith("user-hour-lim:"), "X-Rate-Limit on every accepted response")
        doc = r.json()
        check(doc["links"]["self"] == url, "links.self repeats the request")
        items += doc["data"]
        url = doc["links"].get("next")
    return items


admin = token(os.environ["ADMIN_KID"], os.environ["ADMIN_P8"])
users = page_through("/v1/users?limit=2", admin)
check(len(users) == int(os.environ["EXPECT_USERS"]), f"all users, page by page: {len(users)}")
check(all(u["type"] == "users" and "username" in u["attributes"] for u in users), "user resources")
apps = page_through("/v1/apps?limit=1", admin)
check(len(apps) == int(os.environ["EXPECT_APPS"]), f"all apps, page by page: {len(apps)}")

# An invitation: create, read, delete.
body = {"data": {"type": "userInvitations", "attributes": {"email": "py@acme.test", "firstName": "Py", "lastName": "Thon", "roles": ["DEVELOPER"]}}}
r = call("POST", "/v1/userInvitations", admin, body)
check(r.status_code == 201, f"invitation created: {r.status_code} {r.text}")
invitation = r.json()["data"]
check(r.headers["Location"] == invitation["links"]["self"], "Location of the new invitation")
r = call("GET", f"/v1/userInvitations/{invitation['id']}", admin)
check(r.status_code == 200 and r.json()["data"]["attributes"]["email"] == "py@acme.test", "invitation read back")
r = call("DELETE", f"/v1/userInvitations/{invitation['id']}", admin)
check(r.status_code == 204 and r.text == "", "invitation deleted")
check(call("GET", f"/v1/userInvitations/{invitation['id']}", admin).status_code == 404, "deleted invitation is gone")

# A user's roles and visible apps.
member, app = os.environ["MEMBER_ID"], os.environ["VISIBLE_APP"]
patch = {"data": {"type": "users", "id": member, "attributes": {"roles": ["DEVELOPER", "MARKETING", "GENERATE_INDIVIDUAL_KEYS"], "allAppsVisible": False},
                  "relationships": {"visibleApps": {"data": [{"type": "apps", "id": app}]}}}}
r = call("PATCH", f"/v1/users/{member}", admin, patch)
check(r.status_code == 200, f"user patched: {r.status_code} {r.text}")
check(r.json()["data"]["attributes"]["roles"] == ["DEVELOPER", "MARKETING", "GENERATE_INDIVIDUAL_KEYS"], "roles as sent")
r = call("GET", f"/v1/users/{member}/relationships/visibleApps", admin)
check([d["id"] for d in r.json()["data"]] == [app], "visible apps as sent")

# The 403 a DEVELOPER team key gets on /v1/users, with Apple's body.
developer = token(os.environ["DEV_KID"], os.environ["DEV_P8"])
r = call("GET", "/v1/users", developer)
error = r.json()["errors"][0]
check(r.status_code == 403 and error["code"] == "FORBIDDEN_ERROR" and error["status"] == "403", f"DEVELOPER on /v1/users: {r.text}")
check(error["detail"] == "The API key in use does not allow this request", "Apple's 403 detail")

# An individual key sees only its member's apps: lists omit the others, direct reads are 404.
individual = token(os.environ["IND_KID"], os.environ["IND_P8"], individual=True)
seen = page_through("/v1/apps", individual)
check([a["id"] for a in seen] == [app], f"individual key lists only its member's apps: {[a['id'] for a in seen]}")
hidden = [a["id"] for a in apps if a["id"] != app][0]
r = call("GET", f"/v1/apps/{hidden}", individual)
check(r.status_code == 404 and r.json()["errors"][0]["code"] == "NOT_FOUND", "a hidden app is a 404")

print(summary("python interop"))
