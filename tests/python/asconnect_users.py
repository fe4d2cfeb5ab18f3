"""asconnect 7.1.1, a widely used App Store Connect client, listing users and invitations against
Keyward. asconnect hard-codes Apple's host, so the one change made to it is where its URLs point;
its tokens, requests and models are its own. Its `UserRole` enum has no GENERATE_INDIVIDUAL_KEYS,
so this fails if Keyward lists a permission that was not granted explicitly (spec K6b).
Everything it needs comes from the environment (see the Rust test that runs it)."""
import logging
import os
import sys

import deserialize
import requests
from asconnect import Client
from asconnect.models.common import BaseAttributes, Links, Resource
from asconnect.models.users import UserRole
from checks import check, summary, point_asconnect_at

BASE = os.environ["KEYWARD_BASE"]




point_asconnect_at(BASE)


# An invitation, modelled as asconnect models users (asconnect has no invitations model).
@deserialize.key("first_name", "firstName")
@deserialize.key("last_name", "lastName")
@deserialize.key("provisioning_allowed", "provisioningAllowed")
@deserialize.key("all_apps_visible", "allAppsVisible")
@deserialize.key("expiration_date", "expirationDate")
class InvitationAttributes(BaseAttributes):
    email: str
    first_name: str
    last_name: str
    roles: list[UserRole]
    provisioning_allowed: bool
    all_apps_visible: bool
    expiration_date: str


@deserialize.key("identifier", "id")
class Invitation(Resource):
    identifier: str
    attributes: InvitationAttributes
    links: Links


with open(os.environ["ADMIN_P8"]) as f:
    p8 = f.read()
client = Client(key_id=os.environ["ADMIN_KID"], key_contents=p8, issuer_id=os.environ["ISSUER"],
                               log=logging.getLogger("test"))

users = list(client.users.get_users())
check(len(users) == int(os.environ["EXPECT_USERS"]), f"every user: {len(users)}")
by_name = {u.attributes.username: u for u in users}
holder = by_name[os.environ["HOLDER_EMAIL"]]
check(holder.attributes.roles == [UserRole.ACCOUNT_HOLDER, UserRole.ADMIN],
      f"the Account Holder as Apple lists one: {holder.attributes.roles}")
dev = by_name["dev@acme.test"]
check(dev.attributes.roles == [UserRole.DEVELOPER], f"a member holding the permission by default: {dev.attributes.roles}")

# An invitation made the way a release tool makes one, then listed through asconnect's client.
token = client.http_client.generate_token()
body = {"data": {"type": "userInvitations", "attributes": {
    "email": "new@acme.test", "firstName": "New", "lastName": "Person", "roles": ["APP_MANAGER", "MARKETING"],
    "allAppsVisible": True, "provisioningAllowed": False}}}
r = requests.post(f"{BASE}/v1/userInvitations", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
check(r.status_code == 201, f"invitation created: {r.status_code} {r.text}")
invitations = list(client.http_client.get(endpoint="userInvitations", data_type=list[Invitation]))
check([i.attributes.email for i in invitations] == ["new@acme.test"], "the invitation is listed")
check(set(invitations[0].attributes.roles) == {UserRole.APP_MANAGER, UserRole.MARKETING},
      f"its roles: {invitations[0].attributes.roles}")

print(summary("asconnect"))
