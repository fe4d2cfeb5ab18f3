"""Manages a team's key webhooks (spec X5) through Keyward's key API as a platform team's
automation would: `requests` for HTTP, PyJWT for tokens. Nothing here comes from Keyward.

Usage: key_webhooks_client.py --node URL --p8 FILE --kid KEYID --iss ISSUER --url HOOK_URL
                              --plain-p8 FILE --plain-kid KEYID

--p8/--kid: a team key holding KEY_MANAGER; --plain-*: an ADMIN team key without it. Adds a hook
posting every key event to HOOK_URL and prints one JSON object: the hook (with the secret the
answer gave once) and the evidence of every other check.
"""
import argparse
import json
import time

import jwt
import requests

parser = argparse.ArgumentParser()
for name in ("--node", "--p8", "--kid", "--iss", "--url", "--plain-p8", "--plain-kid"):
    parser.add_argument(name, required=True)
args = parser.parse_args()


def bearer(p8, kid):
    with open(p8) as f:
        pem = f.read()
    now = int(time.time())
    claims = {"iss": args.iss, "iat": now, "exp": now + 600, "aud": "keyward-v1"}
    return {"Authorization": "Bearer " + jwt.encode(claims, pem, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})}


manager = bearer(args.p8, args.kid)
plain = bearer(args.plain_p8, args.plain_kid)


def api(method, path, headers=manager, **kw):
    return requests.request(method, f"{args.node}/keyward/v1{path}", headers=headers, timeout=30, **kw)


def add(url, events=None, headers=manager):
    attributes = {"url": url}
    if events is not None:
        attributes["eventTypes"] = events
    return api("POST", "/keyWebhooks", headers=headers, json={"data": {"type": "keyWebhooks", "attributes": attributes}})


def refusal(response):
    error = response.json()["errors"][0]
    return [response.status_code, error["code"], (error.get("source") or {}).get("pointer"), error.get("detail")]


report = {}
report["document_lists_it"] = "/keyward/v1/keyWebhooks" in requests.get(f"{args.node}/keyward/v1/openapi.json", timeout=30).json()["paths"]
report["without_capability"] = add(args.url, headers=plain).status_code
report["metadata_url"] = refusal(add("http://169.254.169.254/latest/meta-data"))
report["keyward_itself"] = refusal(add(f"{args.node}/hooks"))
report["unknown_event"] = refusal(add(args.url, ["key.stolen"]))
report["no_events"] = refusal(add(args.url, []))
report["no_url"] = refusal(api("POST", "/keyWebhooks", json={"data": {"type": "keyWebhooks", "attributes": {}}}))
report["made_by_refusals"] = len(api("GET", "/keyWebhooks").json()["data"])

made = add(args.url)
report["created"] = made.status_code
report["cache_control"] = made.headers.get("Cache-Control")
report["location"] = made.headers.get("Location")
report["hook"] = made.json()["data"]
hook_id = report["hook"]["id"]
listed = api("GET", "/keyWebhooks")
report["listed"] = listed.json()["data"]
report["read"] = api("GET", f"/keyWebhooks/{hook_id}").json()["data"]
report["unknown_id"] = api("GET", "/keyWebhooks/no-such-hook").status_code

# The cap, under the team's lock: nine more fit beside the first, the eleventh does not.
extra = [add(args.url, ["key.revoked"]) for _ in range(10)]
report["cap"] = [r.status_code for r in extra]
report["cap_refusal"] = refusal(extra[-1])
for r in extra:
    if r.status_code == 201:
        report.setdefault("removed_extra", []).append(api("DELETE", f"/keyWebhooks/{r.json()['data']['id']}").status_code)
report["remove_unknown"] = api("DELETE", "/keyWebhooks/no-such-hook").status_code
report["remove_without_capability"] = api("DELETE", f"/keyWebhooks/{hook_id}", headers=plain).status_code
print(json.dumps(report))
