// appstore-connect-sdk 2.0.0 drives a TestFlight flow and a review submission against Keyward
// (spec F2, F3, F6), unchanged but for its base URL: Apple's REST build upload (a build upload,
// its file, the bytes PUT to the URL the answer gives, the file marked uploaded with its MD5),
// the build processed (at once in test mode) and found under the app, added to a beta group and
// submitted to beta review; then the seeded App Store version submitted for review. Answers are
// checked with the SDK's own zod schemas, normalized as in sdk_whole_api.mjs (nulls, `+00:00`
// offsets).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as sdk from "appstore-connect-sdk";

const client = sdk.createClient({
  baseUrl: process.env.KEYWARD_BASE,
  issuerId: process.env.ISSUER,
  privateKeyId: process.env.KEY_ID,
  privateKey: readFileSync(process.env.KEY_P8, "utf8"),
});
const APP = process.env.APP_ID;

function normalize(value) {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, normalize(v)]));
  }
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/.test(value)) return value.replace("+00:00", "Z");
  return value;
}

let passed = 0;
function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
  passed += 1;
}
async function call(fn, options, status, schema) {
  const result = await sdk[fn]({ client, ...options });
  check(result.response?.status === status, `${fn}: ${result.response?.status} ${JSON.stringify(result.error ?? result.data)}`);
  if (schema) {
    const parsed = sdk[`z${schema}`].safeParse(normalize(result.data));
    check(parsed.success, `${fn}: not a ${schema}: ${JSON.stringify(parsed.error?.issues?.slice(0, 3))}`);
  }
  return result.data;
}

const upload = await call("buildUploadsCreateInstance", {
  body: { data: { type: "buildUploads", attributes: { cfBundleShortVersionString: "2.0", cfBundleVersion: "200", platform: "IOS" },
    relationships: { app: { data: { type: "apps", id: APP } } } } },
}, 201, "BuildUploadResponse");
const ipa = Buffer.alloc(300_000, 7);
const file = await call("buildUploadFilesCreateInstance", {
  body: { data: { type: "buildUploadFiles",
    attributes: { fileName: "Fizz.ipa", fileSize: ipa.length, uti: "com.apple.ipa", assetType: "ASSET" },
    relationships: { buildUpload: { data: { type: "buildUploads", id: upload.data.id } } } } },
}, 201, "BuildUploadFileResponse");
for (const op of file.data.attributes.uploadOperations) {
  const headers = Object.fromEntries((op.requestHeaders ?? []).map((h) => [h.name, h.value]));
  const part = ipa.subarray(op.offset, op.offset + op.length);
  const put = await fetch(op.url, { method: op.method, headers, body: part });
  check(put.status === 200, `PUT ${op.url}: ${put.status}`);
}
const md5 = createHash("md5").update(ipa).digest("hex");
const done = await call("buildUploadFilesUpdateInstance", {
  path: { id: file.data.id },
  body: { data: { type: "buildUploadFiles", id: file.data.id,
    attributes: { uploaded: true, sourceFileChecksums: { file: { hash: md5, algorithm: "MD5" } } } } },
}, 200, "BuildUploadFileResponse");
check(done.data.attributes.assetDeliveryState.state === "COMPLETE", `delivery: ${JSON.stringify(done.data.attributes)}`);

const builds = await call("appsBuildsGetToManyRelated", { path: { id: APP } }, 200, "BuildsResponse");
const build = builds.data.find((b) => b.attributes.version === "200");
check(build !== undefined, `the uploaded build is listed: ${JSON.stringify(builds.data.map((b) => b.attributes.version))}`);
check(build.attributes.processingState === "VALID", `processed at once in test mode: ${build.attributes.processingState}`);
const finished = await call("buildUploadsGetInstance", { path: { id: upload.data.id } }, 200, "BuildUploadResponse");
check(finished.data.attributes.state.state === "COMPLETE", `upload state: ${JSON.stringify(finished.data.attributes.state)}`);

const group = await call("betaGroupsCreateInstance", {
  body: { data: { type: "betaGroups", attributes: { name: "External" },
    relationships: { app: { data: { type: "apps", id: APP } } } } },
}, 201, "BetaGroupResponse");
await call("betaGroupsBuildsCreateToManyRelationship", {
  path: { id: group.data.id }, body: { data: [{ type: "builds", id: build.id }] },
}, 204);
const inGroup = await call("betaGroupsBuildsGetToManyRelated", { path: { id: group.data.id } }, 200, "BuildsResponse");
check(inGroup.data.some((b) => b.id === build.id), "the build is in the group");
const beta = await call("betaAppReviewSubmissionsCreateInstance", {
  body: { data: { type: "betaAppReviewSubmissions", relationships: { build: { data: { type: "builds", id: build.id } } } } },
}, 201, "BetaAppReviewSubmissionResponse");
check(beta.data.attributes.betaReviewState === "WAITING_FOR_REVIEW", `beta review: ${JSON.stringify(beta.data.attributes)}`);

// A review submission of the seeded version, which has a build attached.
const VERSION = process.env.VERSION_ID;
const submission = await call("reviewSubmissionsCreateInstance", {
  body: { data: { type: "reviewSubmissions", attributes: { platform: "IOS" },
    relationships: { app: { data: { type: "apps", id: APP } } } } },
}, 201, "ReviewSubmissionResponse");
check(submission.data.attributes.state === "READY_FOR_REVIEW", `new submission: ${JSON.stringify(submission.data.attributes)}`);
await call("reviewSubmissionItemsCreateInstance", {
  body: { data: { type: "reviewSubmissionItems", relationships: {
    reviewSubmission: { data: { type: "reviewSubmissions", id: submission.data.id } },
    appStoreVersion: { data: { type: "appStoreVersions", id: VERSION } } } } },
}, 201, "ReviewSubmissionItemResponse");
const submitted = await call("reviewSubmissionsUpdateInstance", {
  path: { id: submission.data.id },
  body: { data: { type: "reviewSubmissions", id: submission.data.id, attributes: { submitted: true } } },
}, 200, "ReviewSubmissionResponse");
check(submitted.data.attributes.state === "WAITING_FOR_REVIEW", `submitted: ${JSON.stringify(submitted.data.attributes)}`);
const version = await call("appStoreVersionsGetInstance", { path: { id: VERSION } }, 200, "AppStoreVersionResponse");
check(version.data.attributes.appStoreState === "WAITING_FOR_REVIEW", `the version follows: ${version.data.attributes.appStoreState}`);
console.log(`appstore-connect-sdk testflight and review: ${passed} passed, 0 failed`);
