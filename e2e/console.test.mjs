// The console end to end in a real browser: Playwright (playwright-core) drives Debian's Chromium
// against a real `keyward serve`. Every page is checked with axe-core (no serious or critical
// violation) and photographed into target/e2e/ for reviewers.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { importPKCS8, SignJWT } from "jose";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target", "e2e");
const binary = process.env.KEYWARD_TEST_BIN ?? join(root, "target", "debug", "keyward");
const chromiumPath = process.env.KEYWARD_TEST_CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "a long console password";

let server;
let base;
let setupUrl;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), "keyward-e2e-"));
  server = spawn(binary, ["--data-dir", data, "serve", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, KEYWARD_LOG: "warn" } });
  const lines = createInterface({ input: server.stdout });
  for await (const line of lines) {
    const listening = line.match(/listening on (http:\/\/\S+)/);
    if (listening) base = listening[1];
    const setup = line.match(/(http:\/\/\S+\/setup\?token=\S+)/);
    if (setup) {
      setupUrl = setup[1];
      break;
    }
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

/// axe-core on the current page, then a screenshot named after it.
async function check(page, name) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(async () => await window.axe.run());
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [], `accessibility of ${name}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/// Post/Redirect/Get (#12): a reload after an action shows the page again and repeats nothing. A
/// repeated action would show its outcome again (role=status) or a refusal (role=alert), and
/// `count`, when given, must not change.
async function reloadRepeatsNothing(page, action, count) {
  const before = count ? await count() : undefined;
  await page.reload();
  assert.equal(await page.getByRole("status").count(), 0, `${action}: its outcome is shown once`);
  assert.equal(await page.getByRole("alert").count(), 0, `${action}: a reload posts nothing again`);
  if (count) assert.equal(await count(), before, `${action}: nothing happened twice`);
}

async function token(pem, kid, issuer) {
  const key = await importPKCS8(pem, "ES256");
  return new SignJWT({ iss: issuer, aud: "appstoreconnect-v1" }).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).setIssuedAt().setExpirationTime("20m").sign(key);
}

test("the console, from first-run setup to the audit export", async () => {
  const admin = await (await browser.newContext({ bypassCSP: true, acceptDownloads: true })).newPage();

  // First-run setup.
  await admin.goto(setupUrl);
  await check(admin, "01-setup");
  await admin.getByLabel("Team Name").fill("Acme");
  await admin.getByLabel("First Name").fill("Ana");
  await admin.getByLabel("Last Name").fill("Lopez");
  await admin.getByLabel("Email").fill("ana@acme.test");
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Create Team" }).click();
  await admin.waitForURL(/\/integrations\/api$/);
  const issuer = (await admin.locator("#issuer-id").textContent()).trim();

  // Request access, then approve it as the operator.
  await check(admin, "02-request-access");
  await admin.getByLabel(/I have read and agree/).check();
  await admin.getByRole("button", { name: "Request Access" }).click();
  await admin.getByText("Your request for API access is awaiting review.").waitFor();
  await reloadRepeatsNothing(admin, "request access");
  await admin.getByRole("link", { name: "Operator" }).click();
  await check(admin, "03-operator");
  await admin.getByRole("button", { name: "Approve" }).click();
  await admin.getByRole("cell", { name: "approved" }).waitFor();
  await reloadRepeatsNothing(admin, "approve");

  // An app.
  await admin.goto(`${base}/teams/${issuer}/apps`);
  await admin.getByText("New App").click();
  await admin.getByLabel("Name").fill("Fizz");
  await admin.getByLabel("Bundle ID").fill("com.acme.fizz");
  await admin.getByLabel("SKU").fill("FIZZ");
  await admin.getByRole("button", { name: "Create" }).click();
  await admin.getByRole("cell", { name: "com.acme.fizz" }).waitFor();
  await check(admin, "04-apps");
  await reloadRepeatsNothing(admin, "create an app", () => admin.getByRole("cell", { name: "com.acme.fizz" }).count());

  // Invite a Developer; a second browser context accepts.
  await admin.getByRole("link", { name: "Users and Access" }).click();
  await admin.getByText("Invite User").click();
  await admin.getByLabel("First Name").fill("Dev");
  await admin.getByLabel("Last Name").fill("Eloper");
  await admin.getByLabel("Email").fill("dev@acme.test");
  await admin.getByLabel("Developer", { exact: true }).check();
  await admin.getByRole("button", { name: "Invite", exact: true }).click();
  const notice = await admin.getByRole("status").textContent();
  const link = notice.match(/(\/invitations\/\S+)/)[1];
  await check(admin, "05-users");
  await reloadRepeatsNothing(admin, "invite", () => admin.getByRole("cell", { name: "dev@acme.test" }).count());
  assert.equal(await admin.getByText(link).count(), 0, "the link is shown once, at creation");
  // I2: the inviter opening the link while signed in as themselves is refused, clearly.
  await admin.goto(base + link);
  await admin.getByRole("heading", { name: "This invitation is for someone else" }).waitFor();
  await admin.getByText("This invitation was sent to dev@acme.test. You are signed in as ana@acme.test.").waitFor();
  const dev = await (await browser.newContext({ bypassCSP: true })).newPage();
  await dev.goto(base + link);
  await check(dev, "06-accept-invitation");
  await dev.getByLabel("Password").fill(PASSWORD);
  await dev.getByRole("button", { name: "Join Acme" }).click();
  await dev.waitForURL(/\/profile$/);

  // Two team keys; the first is downloaded, signs a token, and its Download link is gone.
  await admin.goto(`${base}/teams/${issuer}/integrations/api`);
  for (const name of ["CI", "Release"]) {
    await admin.getByText("Generate API Key (+)").click();
    if (name === "CI") await check(admin, "07-generate-api-key");
    await admin.getByLabel("Name").fill(name);
    await admin.getByLabel("App Manager").check();
    await admin.getByRole("button", { name: "Generate" }).click();
    await admin.getByText(`Generated ${name}`).waitFor();
    await reloadRepeatsNothing(admin, `generate ${name}`, () => admin.getByRole("row", { name: /App Manager/ }).count());
  }
  assert.equal(await admin.getByRole("row", { name: /App Manager/ }).count(), 2, "two keys, one per Generate");
  await check(admin, "07-keys");
  const [download] = await Promise.all([admin.waitForEvent("download"), admin.getByRole("button", { name: "Download API Key" }).first().click()]);
  const kid = download.suggestedFilename().match(/^AuthKey_([A-Z0-9]{10})\.p8$/)[1];
  const pem = readFileSync(await download.path(), "utf8");
  const jwt = await token(pem, kid, issuer);
  assert.equal((await fetch(`${base}/v1/apps`, { headers: { Authorization: `Bearer ${jwt}` } })).status, 200);
  await reloadRepeatsNothing(admin, "download", () => admin.getByRole("row", { name: /App Manager/ }).count());
  assert.equal(await admin.getByRole("button", { name: "Download API Key" }).count(), 1, "only the other key can still be downloaded");

  // Edit: select both keys, Revoke Key, confirm in the dialog.
  await admin.getByRole("link", { name: "Edit", exact: true }).click();
  await admin.getByLabel("Select CI").check();
  await admin.getByLabel("Select Release").check();
  await admin.getByRole("button", { name: "Revoke Key" }).click();
  const dialog = admin.getByRole("dialog");
  await dialog.waitFor();
  await check(admin, "08-revoke-dialog");
  await dialog.getByRole("button", { name: "Revoke", exact: true }).click();
  await admin.waitForURL(/\/integrations\/api$/);
  const revoked = admin.locator("section", { has: admin.locator("#revoked") });
  await revoked.getByText(kid).waitFor();
  assert.equal(await revoked.getByText("ana@acme.test").count(), 2, "both listed under Revoked with the actor");
  await reloadRepeatsNothing(admin, "revoke", () => revoked.getByRole("row").count());
  assert.equal((await fetch(`${base}/v1/apps`, { headers: { Authorization: `Bearer ${jwt}` } })).status, 401);

  // The Developer's individual key: generate, a second is refused, revoke in the dialog.
  await dev.reload();
  await check(dev, "09-profile");
  await dev.getByRole("button", { name: "Generate API Key" }).click();
  await dev.getByText("Generated your individual key").waitFor();
  await reloadRepeatsNothing(dev, "generate an individual key");

  // #12: one kind of key per tab, the current one marked, reachable by keyboard and without script.
  await admin.goto(`${base}/teams/${issuer}/integrations/api`);
  const tabs = admin.getByRole("navigation", { name: "Key kinds" });
  assert.equal(await tabs.getByRole("link", { name: "Team Keys" }).getAttribute("aria-current"), "page");
  assert.equal(await admin.getByRole("row", { name: /dev@acme\.test|Dev Eloper/ }).count(), 0, "individual keys are not on the Team Keys tab");
  await tabs.getByRole("link", { name: "Individual Keys" }).focus();
  await admin.keyboard.press("Enter");
  await admin.waitForURL(/\/integrations\/api\/individual$/);
  assert.equal(await tabs.getByRole("link", { name: "Individual Keys" }).getAttribute("aria-current"), "page");
  assert.equal(await tabs.getByRole("link", { name: "Team Keys" }).getAttribute("aria-current"), null);
  assert.equal(await admin.getByRole("row", { name: /App Manager/ }).count(), 0, "team keys are not on the Individual Keys tab");
  await admin.getByRole("row", { name: /Developer/ }).waitFor();
  await check(admin, "07b-individual-keys");
  const noScript = await (await browser.newContext({ bypassCSP: true, javaScriptEnabled: false, storageState: await admin.context().storageState() })).newPage();
  await noScript.goto(`${base}/teams/${issuer}/integrations/api`);
  await noScript.getByRole("link", { name: "Individual Keys" }).click();
  await noScript.waitForURL(/\/individual$/);
  await noScript.getByRole("row", { name: /Developer/ }).waitFor();
  await noScript.context().close();
  const csrf = await dev.locator("input[name=csrf]").first().inputValue();
  const second = await dev.request.post(`${base}/teams/${issuer}/profile/key`, { form: { csrf, action: "generate" } });
  assert.equal(second.status(), 409, "a second individual key is refused");
  await dev.getByRole("link", { name: "Revoke" }).click();
  await dev.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await dev.getByRole("button", { name: "Generate API Key" }).waitFor();
  await reloadRepeatsNothing(dev, "revoke an individual key");

  // The Account Holder removes the permission: the Generate button disappears.
  await admin.goto(`${base}/teams/${issuer}/users`);
  const row = admin.getByRole("row", { name: /dev@acme\.test/ });
  await row.getByText("Edit").click();
  await row.getByLabel("Generate Individual API Keys").uncheck();
  await row.getByRole("button", { name: "Save" }).click();
  await admin.getByText("Saved the roles of dev@acme.test").waitFor();
  await reloadRepeatsNothing(admin, "edit a user");
  await dev.reload();
  assert.equal(await dev.getByRole("button", { name: "Generate API Key" }).count(), 0);

  // The audit log shows every step, and its export parses.
  await admin.getByRole("link", { name: "Audit Log" }).click();
  await check(admin, "10-audit");
  for (const event of ["team_created", "access_requested", "access_approved", "app_created", "invitation_created", "invitation_accepted", "key_generated", "key_downloaded", "key_revoked", "member_updated"]) {
    assert.ok((await admin.getByRole("cell", { name: event, exact: true }).count()) > 0, `${event} in the audit log`);
  }
  const [exported] = await Promise.all([admin.waitForEvent("download"), admin.getByRole("link", { name: "Export as JSON Lines" }).click()]);
  const lines = readFileSync(await exported.path(), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.event === "key_revoked" && l.actor === "ana@acme.test"));

  // A person who already has a login accepts an invitation to another team: the operator creates
  // Beta, its Account Holder activates through their own link and invites dev@acme.test, who signs
  // in from the invitation link and joins with one click.
  await admin.goto(`${base}/operator`);
  await admin.locator("summary", { hasText: "Create Team" }).click();
  await admin.getByLabel("Team Name").fill("Beta");
  await admin.getByLabel("Account Holder's Email").fill("boss@beta.test");
  await admin.getByRole("button", { name: "Create Team" }).click();
  const activation = (await admin.getByRole("status").textContent()).match(/(\/activate\/\S+)/)[1];
  const betaIssuer = (await admin.getByRole("row", { name: /Beta/ }).locator("code").textContent()).trim();
  const boss = await (await browser.newContext({ bypassCSP: true })).newPage();
  await boss.goto(base + activation);
  await boss.getByLabel("First Name").fill("Bo");
  await boss.getByLabel("Last Name").fill("Ss");
  await boss.getByLabel("Password").fill(PASSWORD);
  await boss.getByRole("button", { name: "Set Password" }).click();
  await boss.goto(`${base}/teams/${betaIssuer}/users`);
  await boss.getByText("Invite User").click();
  await boss.getByLabel("First Name").fill("Dev");
  await boss.getByLabel("Last Name").fill("Eloper");
  await boss.getByLabel("Email").fill("dev@acme.test");
  await boss.getByLabel("Developer", { exact: true }).check();
  await boss.getByRole("button", { name: "Invite", exact: true }).click();
  const betaLink = (await boss.getByRole("status").textContent()).match(/(\/invitations\/\S+)/)[1];
  const returning = await (await browser.newContext({ bypassCSP: true })).newPage();
  await returning.goto(base + betaLink);
  await check(returning, "06b-accept-sign-in-first");
  assert.equal(await returning.getByLabel("Password").count(), 0, "no password is asked on the invitation page");
  await returning.getByRole("link", { name: "Sign In" }).click();
  await returning.getByLabel("Email").fill("dev@acme.test");
  await returning.getByLabel("Password").fill(PASSWORD);
  await returning.getByRole("button", { name: "Sign In" }).click();
  await returning.waitForURL(base + betaLink);
  await check(returning, "06c-accept-signed-in");
  await returning.getByRole("button", { name: "Join Beta" }).click();
  await returning.waitForURL(new RegExp(`/teams/${betaIssuer}/profile$`));

  // The Account Holder of Beta removes them again; a reload removes nothing more.
  await boss.goto(`${base}/teams/${betaIssuer}/users`);
  const member = boss.getByRole("row", { name: /dev@acme\.test/ });
  await member.getByText("Edit").click();
  await member.getByRole("button", { name: "Remove dev@acme.test" }).click();
  await boss.getByText("Removed dev@acme.test").waitFor();
  await reloadRepeatsNothing(boss, "remove a user", () => boss.getByRole("row", { name: /@/ }).count());
  assert.equal(await boss.getByRole("row", { name: /dev@acme\.test/ }).count(), 0);

  // The remaining pages: the teams page, a key's details, the sign-in page.
  await admin.goto(base + "/");
  await check(admin, "12-teams");
  await admin.goto(`${base}/teams/${issuer}/integrations/api/keys/${kid}`);
  await admin.getByRole("heading", { name: /Requests per hour/ }).waitFor();
  await check(admin, "13-key-details");
  const signedOut = await (await browser.newContext({ bypassCSP: true })).newPage();
  await signedOut.goto(base + "/login");
  await check(signedOut, "14-sign-in");

  // Readable on a phone, and usable with the keyboard: Tab reaches the first control of the page.
  const phone = await (await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 }, storageState: await admin.context().storageState() })).newPage();
  await phone.goto(`${base}/teams/${issuer}/integrations/api`);
  await check(phone, "11-keys-on-a-phone");
  await phone.keyboard.press("Tab");
  assert.notEqual(await phone.evaluate(() => document.activeElement?.tagName), "BODY", "the keyboard reaches the page's controls");
});
