// appstore-connect-sdk 2.0.0 (generated from Apple's OpenAPI document) against Keyward's whole
// API (spec section 12), unchanged but for its base URL: its client signs the tokens, builds the
// URLs and queries and reads the answers. Each answer is checked with the SDK's own zod schema of
// the operation's response. Two places where those schemas differ from what Apple's servers send
// are normalized first, as Apple's own answers would need them: Apple writes unset attributes as
// explicit nulls (the schemas say optional, not nullable) and dates with a numeric offset
// (`+00:00`, where zod's iso.datetime wants `Z`). Calls come from KEYWARD_CALLS (a JSON file the
// Rust test writes from Apple's document): [{fn, path?, body?, schema, status}].
import { readFileSync } from "node:fs";
import * as sdk from "appstore-connect-sdk";

const client = sdk.createClient({
  baseUrl: process.env.KEYWARD_BASE,
  issuerId: process.env.ISSUER,
  privateKeyId: process.env.KEY_ID,
  privateKey: readFileSync(process.env.KEY_P8, "utf8"),
});

function normalize(value) {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null) continue;
      out[k] = normalize(v);
    }
    return out;
  }
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/.test(value)) {
    return value.replace("+00:00", "Z");
  }
  return value;
}

let passed = 0;
const families = new Set();
const made = {};
function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

for (const call of JSON.parse(readFileSync(process.env.KEYWARD_CALLS, "utf8"))) {
  const operation = sdk[call.fn];
  if (typeof operation !== "function") fail(`the SDK has no ${call.fn}`);
  const path = call.path ? Object.fromEntries(Object.entries(call.path).map(([k, v]) => [k, made[v] ?? v])) : undefined;
  let body = call.body;
  if (body) body = JSON.parse(JSON.stringify(body).replace(/"\$made:([A-Za-z]+)"/g, (_, kind) => JSON.stringify(made[kind])));
  const options = { client };
  if (path) options.path = path;
  if (body) options.body = body;
  const result = await operation(options);
  const status = result.response?.status;
  if (status !== call.status) fail(`${call.fn}: ${status} ${JSON.stringify(result.error ?? result.data)}`);
  const schema = sdk[`z${call.schema}`];
  if (!schema) fail(`the SDK has no zod schema z${call.schema}`);
  const checked = schema.safeParse(normalize(result.data));
  if (!checked.success) fail(`${call.fn}: the answer is not a ${call.schema}: ${JSON.stringify(checked.error.issues.slice(0, 3))}`);
  if (call.remember) made[call.remember] = result.data.data.id;
  families.add(call.family);
  passed += 1;
}
if (families.size < 20) fail(`only ${families.size} resource families were called`);
console.log(`appstore-connect-sdk: ${passed} passed, 0 failed (${families.size} resource families)`);
