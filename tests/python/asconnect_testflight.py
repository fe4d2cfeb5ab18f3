"""asconnect 7.1.1 against Keyward's whole-API engine (spec section 12): it lists the builds, App
Store versions and beta groups of a seeded app, reads a build, a version's localizations and its
attached build, and adds a build to a beta group, all through its own clients and models. The one
change made to it is where its URLs point. Everything it needs comes from the environment (see
the Rust test that runs it, which seeds examples/seed.toml)."""
import logging
import os
import sys

from asconnect import Client
from asconnect.models import Build
from checks import check, summary, point_asconnect_at

BASE = os.environ["KEYWARD_BASE"]
APP = os.environ["APP_ID"]




point_asconnect_at(BASE)

with open(os.environ["KEY_P8"]) as f:
    p8 = f.read()
client = Client(key_id=os.environ["KEY_ID"], key_contents=p8, issuer_id=os.environ["ISSUER"],
                log=logging.getLogger("test"))

builds = list(client.build.get_builds(app_id=APP))
check([b.attributes.version for b in builds] == ["100"], f"builds of the app: {builds}")
build = builds[0]
check(build.attributes.processing_state == "VALID", f"processing state: {build.attributes}")
check(client.build.get_build_from_identifier(build.identifier).identifier == build.identifier, "the build by its ID")
by_version = list(client.build.get_builds(app_id=APP, version="1.0"))
check([b.identifier for b in by_version] == [build.identifier], "filter[preReleaseVersion.version]")
check(list(client.build.get_builds(app_id=APP, version="9.9")) == [], "no build of another version")

versions = list(client.version.get_all(app_id=APP))
check([v.attributes.version_string for v in versions] == ["1.0"], f"versions: {versions}")
localizations = list(client.version.get_localizations(version_id=versions[0].identifier))
check([l.attributes.locale for l in localizations] == ["en-US"], f"localizations: {localizations}")
check(localizations[0].attributes.keywords == "fizz,count", "keywords")
attached = client.version.get_attached_build(version_id=versions[0].identifier)
check(attached is not None and attached.identifier == build.identifier, f"attached build: {attached}")

groups = list(client.beta_review.get_beta_groups(APP))
check([g.attributes.name for g in groups] == ["QA"], f"beta groups: {groups}")
client.beta_review.set_beta_groups_on_build(build.identifier, groups)
in_group = list(client.http_client.get(url=f"{BASE}/v1/betaGroups/{groups[0].identifier}/builds",
                                       data_type=list[Build]))
check([b.identifier for b in in_group] == [build.identifier], f"the group's builds: {in_group}")

print(summary("asconnect testflight"))
