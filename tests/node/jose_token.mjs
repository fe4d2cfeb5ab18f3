// Signs an App Store Connect token with `jose` from an AuthKey_<KEYID>.p8, the way Node clients do.
// Usage: node jose_token.mjs --p8 FILE --kid KEYID [--iss ISSUER_ID] [--shape SHAPE]
import { readFileSync } from "node:fs";
import { importPKCS8, SignJWT } from "jose";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const key = await importPKCS8(readFileSync(args.p8, "utf8"), "ES256");
const now = Math.floor(Date.now() / 1000);
const shape = args.shape ?? "with_iat";
const header = shape === "no_typ" ? { alg: "ES256", kid: args.kid } : { alg: "ES256", kid: args.kid, typ: "JWT" };
const claims = { aud: "appstoreconnect-v1" };
if (args.iss) claims.iss = args.iss;
else claims.sub = "user";
let jwt = new SignJWT(claims).setProtectedHeader(header);
if (shape === "without_iat") jwt = jwt.setExpirationTime(now + 1200);
else jwt = jwt.setIssuedAt(now).setExpirationTime(now + 1200);
process.stdout.write(await jwt.sign(key));
