"""Drives Keyward's key API (spec X1) as a platform team's automation would: `requests` for HTTP,
PyJWT for tokens, `cryptography` for a key pair of its own. Nothing here comes from Keyward.

Usage: key_api_client.py --nodes URL[,URL…] --p8 FILE --kid KEYID --iss ISSUER --member USER_ID
                         --plain-p8 FILE --plain-kid KEYID

--p8/--kid: a team key holding KEY_MANAGER. --plain-*: an ADMIN team key without it.
--member: a member who may have an individual key and has none.
Prints one JSON object: what was made, and every check's evidence. Exits non-zero on the first
check that fails, saying which.
"""
import argparse
import concurrent.futures
import json
import sys
import time

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

parser = argparse.ArgumentParser()
parser.add_argument("--nodes", required=True)
parser.add_argument("--p8", required=True)
parser.add_argument("--kid", required=True)
parser.add_argument("--iss", required=True)
parser.add_argument("--member", required=True)
parser.add_argument("--plain-p8", required=True)
parser.add_argument("--plain-kid", required=True)
args = parser.parse_args()
nodes = args.nodes.split(",")
report = {}


def check(condition, what, evidence=None):
    if not condition:
        sys.exit(f"FAILED: {what}: {evidence!r}")


def token(private_pem, kid, aud):
    now = int(time.time())
    claims = {"iss": args.iss, "iat": now, "exp": now + 600, "aud": aud}
    return jwt.encode(claims, private_pem, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})


with open(args.p8) as f:
    manager_pem = f.read()
with open(args.plain_p8) as f:
    plain_pem = f.read()
manager = {"Authorization": f"Bearer {token(manager_pem, args.kid, 'keyward-v1')}"}


def api(method, path, node=0, headers=None, **kw):
    return requests.request(method, f"{nodes[node]}/keyward/v1{path}", headers=headers or manager, timeout=30, **kw)


def new_key(attributes, relationships=None, node=0, headers=None):
    data = {"type": "apiKeys", "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    return api("POST", "/apiKeys", node, headers, json={"data": data})


def apps_status(private_pem, kid, node):
    bearer = token(private_pem, kid, "appstoreconnect-v1")
    return requests.get(f"{nodes[node]}/v1/apps", headers={"Authorization": f"Bearer {bearer}"}, timeout=30).status_code


def until(private_pem, kid, node, wanted, seconds=5):
    deadline = time.time() + seconds
    while True:
        got = apps_status(private_pem, kid, node)
        if got == wanted:
            return
        check(time.time() < deadline, f"node {node} never answered {wanted} for {kid}", got)
        time.sleep(0.02)


def error_of(response):
    body = response.json()
    check("errors" in body and body["errors"], "an error in Apple's shape", body)
    return body["errors"][0]


# The key API's own document is public; Apple's OpenAPI clients read it.
document = requests.get(f"{nodes[0]}/keyward/v1/openapi.json", timeout=30)
check(document.status_code == 200 and "/keyward/v1/apiKeys" in document.json()["paths"], "the OpenAPI document", document.text[:200])

# Who gets in: a key manager's keyward-v1 token; not its appstoreconnect-v1 token, not an ADMIN key
# without the capability, not a keyward-v1 token on Apple's /v1.
listed = api("GET", "/apiKeys")
check(listed.status_code == 200, "a key manager lists keys", listed.text)
check("X-Rate-Limit" in listed.headers, "the key's budget on the answer", dict(listed.headers))
me = [k for k in listed.json()["data"] if k["id"] == args.kid]
check(me and me[0]["attributes"]["capabilities"] == ["KEY_MANAGER"], "the manager lists itself as one", me)
asc = {"Authorization": f"Bearer {token(manager_pem, args.kid, 'appstoreconnect-v1')}"}
report["wrong_audience"] = api("GET", "/apiKeys", headers=asc).status_code
report["keyward_token_on_v1"] = requests.get(f"{nodes[0]}/v1/apps", headers=manager, timeout=30).status_code
plain = {"Authorization": f"Bearer {token(plain_pem, args.plain_kid, 'keyward-v1')}"}
refused = api("GET", "/apiKeys", headers=plain)
report["without_capability"] = refused.status_code
report["without_capability_code"] = error_of(refused)["code"]
report["without_capability_create"] = new_key({"name": "Nope", "roles": ["ADMIN"]}, headers=plain).status_code

# A team key made by Keyward: the private key comes once, in this answer, and works on every node.
made = new_key({"name": "CI", "roles": ["DEVELOPER"], "expirationDate": "30d"})
check(made.status_code == 201, "a team key is made", made.text)
check(made.headers.get("Cache-Control") == "no-store", "an answer with a private key is not cached", dict(made.headers))
ci = made.json()["data"]
check(ci["attributes"]["privateKey"].startswith("-----BEGIN PRIVATE KEY-----"), "the private key, once", ci["attributes"])
check(ci["attributes"]["state"] == "ACTIVE" and ci["attributes"]["expirationDate"], "an active key with its expiry", ci)
check(made.headers.get("Location", "").endswith(f"/keyward/v1/apiKeys/{ci['id']}"), "Location", dict(made.headers))
for node in range(len(nodes)):
    until(ci["attributes"]["privateKey"], ci["id"], node, 200)
again = api("GET", f"/apiKeys/{ci['id']}").json()["data"]
check("privateKey" not in again["attributes"] and not again["attributes"]["downloadable"], "never shown again", again)
report["team_key"] = ci["id"]

# A key from our own pair (X2): no private key in the answer; tokens signed with ours work.
ours = ec.generate_private_key(ec.SECP256R1())
ours_private = ours.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
ours_public = ours.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
uploaded = new_key({"name": "Deploy", "roles": ["APP_MANAGER"], "publicKey": ours_public})
check(uploaded.status_code == 201, "a key from an uploaded public key", uploaded.text)
deploy = uploaded.json()["data"]
check("privateKey" not in deploy["attributes"] and deploy["attributes"]["publicKeyUploaded"], "nothing to download", deploy)
for node in range(len(nodes)):
    until(ours_private, deploy["id"], node, 200)
report["uploaded_key"] = deploy["id"]
reused = new_key({"name": "Again", "roles": ["DEVELOPER"], "publicKey": ours_public})
report["reused_public_key"] = [reused.status_code, error_of(reused)["source"]["pointer"]]
p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
report["p384_public_key"] = new_key({"name": "Curve", "roles": ["DEVELOPER"], "publicKey": p384}).status_code

# Bad requests are refused clearly, pointing at what is wrong, and make nothing.
before = api("GET", "/apiKeys?limit=200").json()["meta"]["paging"]["total"]
bad = {
    "no_name": new_key({"roles": ["DEVELOPER"]}),
    "account_holder": new_key({"name": "X", "roles": ["ACCOUNT_HOLDER"]}),
    "unknown_role": new_key({"name": "X", "roles": ["WIZARD"]}),
    "unknown_attribute": new_key({"name": "X", "roles": ["DEVELOPER"], "color": "red"}),
    "past_expiry": new_key({"name": "X", "roles": ["DEVELOPER"], "expirationDate": "2020-01-01"}),
    "bad_kind": new_key({"kind": "ROBOT"}),
    "individual_without_member": new_key({"kind": "INDIVIDUAL"}),
    "unknown_member": new_key({"kind": "INDIVIDUAL"}, {"member": {"data": {"type": "users", "id": "00000000-0000-0000-0000-000000000000"}}}),
    "grace_without_successor": new_key({"name": "X", "roles": ["DEVELOPER"], "gracePeriod": "1h"}),
}
report["bad_requests"] = {name: [r.status_code, error_of(r)["code"], (error_of(r).get("source") or {}).get("pointer")] for name, r in bad.items()}
report["not_json"] = api("POST", "/apiKeys", data="name=x", headers={**manager, "Content-Type": "application/x-www-form-urlencoded"}).status_code
report["unknown_key"] = api("GET", "/apiKeys/ZZZZZZZZZZ").status_code
report["bad_filter"] = api("GET", "/apiKeys?filter[state]=SLEEPING").status_code
after = api("GET", "/apiKeys?limit=200").json()["meta"]["paging"]["total"]
report["made_by_refusals"] = after - before

# An individual key for a member (K6: one each), under racing requests on both nodes.
individual = {"member": {"data": {"type": "users", "id": args.member}}}
with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
    racing = list(pool.map(lambda i: new_key({"kind": "INDIVIDUAL"}, individual, node=i % len(nodes)), range(8)))
report["individual_race"] = sorted(r.status_code for r in racing)
mine = [r.json()["data"] for r in racing if r.status_code == 201]
check(len(mine) == 1 and mine[0]["relationships"]["member"]["data"]["id"] == args.member, "one individual key", mine)
check("privateKey" not in mine[0]["attributes"] and mine[0]["attributes"]["downloadable"], "left for its member to download", mine)
report["individual_with_public_key"] = new_key({"kind": "INDIVIDUAL", "publicKey": ours_public}, individual).status_code
report["individual_key"] = mine[0]["id"]
only_individual = api("GET", f"/apiKeys?filter[kind]=INDIVIDUAL&filter[member]={args.member}").json()["data"]
report["listed_individual"] = [k["id"] for k in only_individual]

# Rotation (X4): the successor inherits name and roles; the predecessor works through the grace.
rotated = new_key({"gracePeriod": "1h"}, {"replaces": {"data": {"type": "apiKeys", "id": ci["id"]}}})
check(rotated.status_code == 201, "a successor is made", rotated.text)
successor = rotated.json()["data"]
check(successor["attributes"]["name"] == "CI" and successor["attributes"]["roles"] == ["DEVELOPER"], "inherited", successor)
check(successor["relationships"]["replaces"]["data"]["id"] == ci["id"], "names what it replaces", successor)
until(successor["attributes"]["privateKey"], successor["id"], len(nodes) - 1, 200)
check(apps_status(ci["attributes"]["privateKey"], ci["id"], 0) == 200, "the predecessor works during the grace period")
report["successor"] = successor["id"]
report["rotate_again"] = new_key({}, {"replaces": {"data": {"type": "apiKeys", "id": ci["id"]}}}).status_code
report["successor_with_name"] = new_key({"name": "Other"}, {"replaces": {"data": {"type": "apiKeys", "id": successor["id"]}}}).status_code

# Revocation (K11): refused on the node that revoked from the next request, on the others from
# the change feed; a second revocation is a state error; the key stays listed as revoked.
revoked = api("DELETE", f"/apiKeys/{deploy['id']}", node=0)
check(revoked.status_code == 204, "revoked", revoked.text)
report["after_revoke_same_node"] = apps_status(ours_private, deploy["id"], 0)
started = time.time()
until(ours_private, deploy["id"], len(nodes) - 1, 401)
report["after_revoke_other_node_seconds"] = round(time.time() - started, 3)
report["revoke_again"] = api("DELETE", f"/apiKeys/{deploy['id']}").status_code
missing = api("DELETE", "/apiKeys/ZZZZZZZZZZ")
report["revoke_unknown"] = [missing.status_code, error_of(missing)["detail"]]
states = {k["id"]: k["attributes"]["state"] for k in api("GET", "/apiKeys?filter[state]=REVOKED").json()["data"]}
report["revoked_listed"] = states.get(deploy["id"])

# The 50-key cap (K5) under racing creates on every node: exactly as many as fit.
active_team = api("GET", "/apiKeys?filter[kind]=TEAM&filter[state]=ACTIVE&limit=200").json()["meta"]["paging"]["total"]
report["active_team_keys_before_race"] = active_team
with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
    racing = list(pool.map(
        lambda i: new_key({"name": f"Race {i}", "roles": ["DEVELOPER"]}, node=i % len(nodes)),
        range(60 - active_team),
    ))
report["cap_race"] = {str(code): sum(1 for r in racing if r.status_code == code) for code in {r.status_code for r in racing}}
report["cap_race_refusal"] = next((error_of(r)["detail"] for r in racing if r.status_code != 201), None)
report["active_team_keys_after_race"] = api("GET", "/apiKeys?filter[kind]=TEAM&filter[state]=ACTIVE&limit=200").json()["meta"]["paging"]["total"]

# Paging: every key once, in pages of 7.
seen, url = [], f"{nodes[0]}/keyward/v1/apiKeys?limit=7"
while url:
    page = requests.get(url, headers=manager, timeout=30).json()
    seen += [k["id"] for k in page["data"]]
    url = page["links"].get("next")
report["paged"] = [len(seen), len(set(seen)), api("GET", "/apiKeys?limit=200").json()["meta"]["paging"]["total"]]
print(json.dumps(report))
