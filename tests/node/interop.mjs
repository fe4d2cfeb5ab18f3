// An App Store Connect client written the way Node tooling does it (jose + fetch), run against
// Keyward. Everything it needs comes from the environment (see the Rust test that runs it).
import { readFileSync } from "node:fs";
import { importPKCS8, SignJWT } from "jose";

const env = process.env;
const BASE = env.KEYWARD_BASE;
let checks = 0;

function check(condition, message) {
  if (!condition) {
    console.error(`FAILED: ${message}`);
    process.exit(1);
  }
  checks += 1;
}

async function token(kid, p8, individual = false) {
  const key = await importPKCS8(readFileSync(p8, "utf8"), "ES256");
  const claims = individual ? { sub: "user", aud: "appstoreconnect-v1" } : { iss: env.ISSUER, aud: "appstoreconnect-v1" };
  return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).setIssuedAt().setExpirationTime("20m").sign(key);
}

async function call(method, url, tok, body) {
  const headers = { Authorization: `Bearer ${tok}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url.startsWith("http") ? url : BASE + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function pageThrough(path, tok) {
  let url = BASE + path;
  const items = [];
  while (url) {
    const r = await call("GET", url, tok);
    check(r.status === 200, `GET ${url}: ${r.status}`);
    check(r.headers.get("content-type") === "application/json", "Content-Type is exactly application/json");
    check(/^user-hour-lim:\d+;user-hour-rem:\d+;$/.test(r.headers.get("x-rate-limit")), "X-Rate-Limit in Apple's format");
    const doc = await r.json();
    check(doc.links.self === url, "links.self repeats the request");
    items.push(...doc.data);
    url = doc.links.next;
  }
  return items;
}

const admin = await token(env.ADMIN_KID, env.ADMIN_P8);
const users = await pageThrough("/v1/users?limit=3", admin);
check(users.length === Number(env.EXPECT_USERS), `all users, page by page: ${users.length}`);
const apps = await pageThrough("/v1/apps?limit=2&sort=-name", admin);
check(apps.length === Number(env.EXPECT_APPS), `all apps, page by page: ${apps.length}`);
const names = apps.map((a) => a.attributes.name);
check(JSON.stringify(names) === JSON.stringify([...names].sort().reverse()), "sorted by -name");

let r = await call("POST", "/v1/userInvitations", admin, {
  data: { type: "userInvitations", attributes: { email: "js@acme.test", firstName: "Java", lastName: "Script", roles: ["SALES"] } },
});
check(r.status === 201, `invitation created: ${r.status}`);
const invitation = (await r.json()).data;
r = await call("GET", `/v1/userInvitations/${invitation.id}`, admin);
check(r.status === 200 && (await r.json()).data.attributes.roles[0] === "SALES", "invitation read back");
r = await call("DELETE", `/v1/userInvitations/${invitation.id}`, admin);
check(r.status === 204, "invitation deleted");

const member = env.MEMBER_ID;
r = await call("PATCH", `/v1/users/${member}/relationships/visibleApps`, admin, { data: [{ type: "apps", id: env.VISIBLE_APP }] });
check(r.status === 204, `visible apps replaced: ${r.status}`);
r = await call("PATCH", `/v1/users/${member}`, admin, { data: { type: "users", id: member, attributes: { roles: ["DEVELOPER", "GENERATE_INDIVIDUAL_KEYS"] } } });
check(r.status === 200, `roles patched: ${r.status}`);
r = await call("PATCH", `/v1/users/${member}`, admin, { data: { type: "users", id: "someone-else", attributes: {} } });
const mismatch = (await r.json()).errors[0];
check(r.status === 409 && mismatch.source.pointer === "/data/id", "an id that differs from the path is refused");

const developer = await token(env.DEV_KID, env.DEV_P8);
r = await call("GET", "/v1/users", developer);
const forbidden = (await r.json()).errors[0];
check(r.status === 403 && forbidden.code === "FORBIDDEN_ERROR", "DEVELOPER team key on /v1/users is 403");

const individual = await token(env.IND_KID, env.IND_P8, true);
const seen = await pageThrough("/v1/apps", individual);
check(seen.length === 1 && seen[0].id === env.VISIBLE_APP, "individual key lists only its member's apps");
const hidden = apps.find((a) => a.id !== env.VISIBLE_APP).id;
r = await call("GET", `/v1/apps/${hidden}`, individual);
check(r.status === 404, "a hidden app is a 404");

console.log(`node interop: ${checks} passed, 0 failed`);
