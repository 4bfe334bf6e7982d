// The browser test of the demo app: Debian's Chromium, headless, driven by
// playwright-core, does what a user of internal/demo's page does, and pages
// of other origins try to post forms to the API with the user's cookie.
//
// cmd/api/browser_test.go runs it (go test ./cmd/api -run DemoInABrowser -v):
// it starts the servers and passes their addresses in the environment, and
// explains which origin is which. Each step prints "ok - <step>"; the first
// that fails prints "not ok", what the page showed, and exits 1.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

// .ci/setup installs playwright-core into .ci/e2e, as its package-lock.json
// pins it. It brings no browser: it drives the one at CHROMIUM.
const require = createRequire(new URL("../.ci/e2e/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const { CHROMIUM, SPA, API, API_NONE, SIBLING, OTHER_SITE } = process.env;
for (const [name, value] of Object.entries({ CHROMIUM, SPA, API, API_NONE, SIBLING, OTHER_SITE })) {
  if (!value) throw new Error(`${name} is not set: run this through go test ./cmd/api -run DemoInABrowser`);
}
const PASSWORD = "correct horse battery staple";

// The flags this machine's Chromium is known to work with: no sandbox (we
// run as root), no GPU, and none of the background connections that a
// closed network refuses. playwright-core adds a fresh --user-data-dir.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

let shown = null; // the page whose state a failure reports
const pageErrors = [];

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    console.log(`not ok - ${name}\n${err.stack ?? err}`);
    if (shown) {
      const text = (sel) => shown.locator(sel).textContent().catch(() => "?");
      console.log(`the page ${shown.url()} showed:\n  message: ${await text("#message")}\n  session: ${await text("#session-status")}`);
    }
    await browser.close();
    process.exit(1);
  }
  console.log(`ok - ${name}`);
}

// sees waits until the element of selector shows want: a string (the whole
// text, trimmed) or a RegExp.
async function sees(page, selector, want) {
  const re = typeof want === "string" ? new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : want;
  try {
    await page.waitForFunction(([sel, source, flags]) =>
      new RegExp(source, flags).test(document.querySelector(sel)?.textContent.trim() ?? ""),
    [selector, re.source, re.flags]);
  } catch {
    const got = await page.locator(selector).textContent().catch(() => null);
    throw new Error(`${selector} shows ${JSON.stringify(got?.trim())}, want ${want}`);
  }
}

async function newContext() {
  const context = await browser.newContext();
  context.setDefaultTimeout(20_000); // generous: make test runs other packages beside it
  return context;
}

// openDemo opens the SPA on the API at api and waits until it has loaded.
async function openDemo(context, api) {
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(`${page.url()}: ${err.message}`));
  await page.goto(`${SPA}?api=${encodeURIComponent(api)}`);
  await sees(page, "#message", "Ready.");
  shown = page;
  return page;
}

async function register(page, username, password) {
  const form = page.getByRole("group", { name: "Register" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Register" }).click();
}

async function logIn(page, username, password, rememberMe) {
  const form = page.getByRole("group", { name: "Log in" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByLabel("Remember me for 30 days").setChecked(rememberMe);
  await form.getByRole("button", { name: "Log in" }).click();
}

async function addToCart(page, product, items) {
  await page.getByRole("button", { name: `Add ${product} to the cart` }).click();
  await sees(page, "#cart-total-items", items);
}

// cart returns the lines the page shows, and its totals.
async function cart(page) {
  return page.evaluate(() => ({
    lines: [...document.querySelectorAll("#cart tbody tr")].map((tr) =>
      [...tr.cells].slice(0, 4).map((c) => c.querySelector("input")?.value ?? c.textContent.trim())),
    totals: [document.getElementById("cart-total-items").textContent, document.getElementById("cart-total-price").textContent],
  }));
}

async function sessionCookie(context, api) {
  return (await context.cookies(api)).find((c) => c.name === "sessionid");
}

// forge opens the forgery page `what` (cmd/api/browser_test.go's
// forgeries) on origin, which posts a form to api as soon as it loads, and
// returns what the API answered, the names of the cookies the browser sent
// along, and the Sec-Fetch-Site it sent.
async function forge(context, origin, what, api) {
  const page = await context.newPage();
  try {
    const answer = page.waitForResponse((r) => r.url().startsWith(`${api}/api/`));
    // The post's answer may be a 204, which loads no page: wait for the
    // forgery page only to arrive, then for the API's answer.
    await page.goto(`${origin}/${what}?api=${encodeURIComponent(api)}`, { waitUntil: "commit" });
    const res = await answer;
    const sent = await res.request().allHeaders();
    const body = res.status() === 204 ? "" : await res.text(); // a 204 keeps no body
    return {
      status: res.status(),
      code: body ? JSON.parse(body).error?.code : null,
      cookies: sent.cookie ? sent.cookie.split("; ").map((c) => c.split("=")[0]) : [],
      site: sent["sec-fetch-site"],
    };
  } finally {
    await page.close();
  }
}

// The API with the default SameSite=Lax cookie, from the SPA on an origin
// it lists.
const context = await newContext();
let page;

await step("the page starts anonymous, on the API named by ?api=", async () => {
  page = await openDemo(context, API);
  await sees(page, "#api-base", API);
  await sees(page, "#session-status", "Anonymous: not logged in.");
  await sees(page, "#cart-total-items", "0 items");
});

await step("a registration the API refuses shows its error, next to the field", async () => {
  await register(page, "ann", "12345678");
  await sees(page, "#message", "the request has invalid fields (validation_failed).");
  await sees(page, "#register-form-password-error", /entirely numeric/);
});

await step("registers", async () => {
  await register(page, "ann", PASSWORD);
  await sees(page, "#message", "Registered ann. You can log in now.");
  assert.equal(await page.locator("#register-form-password-error").count(), 0, "the old error is still shown");
});

await step("a wrong password is refused with the API's message", async () => {
  await logIn(page, "ann", "not the password", false);
  await sees(page, "#message", /\(invalid_credentials\)\.$/);
  await sees(page, "#session-status", "Anonymous: not logged in.");
});

await step("logs in without remember-me: the session ends with the browser", async () => {
  await logIn(page, "ann", PASSWORD, false);
  await sees(page, "#message", "Logged in as ann.");
  await sees(page, "#session-status", "Logged in as ann. The session ends when the browser closes.");
  const cookie = await sessionCookie(context, API);
  assert.ok(cookie, "no sessionid cookie");
  assert.equal(cookie.expires, -1, "a browser-session cookie has no expiry");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
});

await step("no script reads the session cookie (HttpOnly), which still authenticates", async () => {
  // Cookies ignore ports, so a cookie of the API's host that scripts could
  // read would show in document.cookie on the SPA's page too, as this one:
  await context.addCookies([{ name: "readable", value: "1", url: API }]);
  assert.match(await page.evaluate(() => document.cookie), /readable=1/);
  assert.doesNotMatch(await page.evaluate(() => document.cookie), /sessionid/);
  await context.clearCookies({ name: "readable" });

  const own = await context.newPage(); // the demo the API serves, on its origin
  await own.goto(`${API}/demo/`);
  await sees(own, "#session-status", /^Logged in as ann\./);
  assert.doesNotMatch(await own.evaluate(() => document.cookie), /sessionid/);
  const check = await own.evaluate(async () => (await fetch("/api/auth/session")).json());
  assert.equal(check.authenticated, true);
  assert.equal(check.user.username, "ann");
  await own.close();
});

await step("fills the cart and sees the totals", async () => {
  await addToCart(page, "Espresso machine", "1 item");
  await addToCart(page, "Espresso machine", "2 items");
  await addToCart(page, "Tamper", "3 items");
  assert.deepEqual(await cart(page), {
    lines: [["Espresso machine", "299.99", "2", "599.98"], ["Tamper", "29.00", "1", "29.00"]],
    totals: ["3 items", "628.98"],
  });
});

await step("changes a quantity and removes a line", async () => {
  const row = page.getByRole("row", { name: /Espresso machine/ });
  await row.getByRole("spinbutton", { name: "Quantity of Espresso machine" }).fill("3");
  await row.getByRole("button", { name: "Update the quantity of Espresso machine" }).click();
  await sees(page, "#cart-total-items", "4 items");
  await sees(page, "#cart-total-price", "928.97");
  await page.getByRole("button", { name: "Remove Tamper" }).click();
  await sees(page, "#message", "Removed Tamper.");
  assert.deepEqual(await cart(page), {
    lines: [["Espresso machine", "299.99", "3", "899.97"]],
    totals: ["3 items", "899.97"],
  });
});

// The forged posts. A page on 127.0.0.1:other-port is same-site with the
// API: the Lax cookie goes along, and the API's cross-origin protection
// refuses it. localhost is another site: the browser keeps the Lax cookie
// off, so its post carries no session of the user's at all, and a body
// that is not JSON is refused by the API whoever sends it.
await step("a same-site page that is not listed posts forms with the cookie: 403", async () => {
  const want = { status: 403, code: "cross_origin_forbidden", cookies: ["sessionid"], site: "same-site" };
  assert.deepEqual(await forge(context, SIBLING, "cart", API), want);
  assert.deepEqual(await forge(context, SIBLING, "logout", API), want);
});

await step("another site's form posts come without the Lax cookie: 415 for a body, and no session to log out", async () => {
  assert.deepEqual(await forge(context, OTHER_SITE, "cart", API),
    { status: 415, code: "unsupported_media_type", cookies: [], site: "cross-site" });
  assert.deepEqual(await forge(context, OTHER_SITE, "logout", API),
    { status: 204, code: null, cookies: [], site: "cross-site" });
});

await step("after the forgeries the user is still logged in, with the same cart", async () => {
  await page.reload();
  await sees(page, "#message", "Ready.");
  await sees(page, "#session-status", /^Logged in as ann\./);
  assert.deepEqual(await cart(page), {
    lines: [["Espresso machine", "299.99", "3", "899.97"]],
    totals: ["3 items", "899.97"],
  });
});

await step("the listed SPA's own writes go through: add, then empty the cart", async () => {
  await addToCart(page, "Cleaning brush", "4 items");
  await sees(page, "#cart-total-price", "904.97");
  await page.getByRole("button", { name: "Empty the cart" }).click();
  await sees(page, "#message", "The cart is empty.");
  await sees(page, "#cart-total-items", "0 items");
  await sees(page, "#cart-total-price", "0.00");
  assert.equal(await page.locator("#cart").isVisible(), false);
  assert.equal(await page.locator("#cart-empty").isVisible(), true);
});

await step("walks the form: a step the API refuses, steps 1 and 2, submit", async () => {
  const step1 = page.getByRole("group", { name: "Step 1: contact" });
  await step1.getByLabel("Name").fill("Ada Lovelace");
  await step1.getByLabel("Email").fill("ada@example.com");
  await step1.getByLabel("Phone").fill("12");
  await step1.getByRole("button", { name: "Save step 1" }).click();
  await sees(page, "#message", /\(validation_failed\)\.$/);
  await sees(page, "#wizard-step1-phone-error", /.+/);
  await step1.getByLabel("Phone").fill("+44 20 7946 0958");
  await step1.getByRole("button", { name: "Save step 1" }).click();
  await sees(page, "#wizard-step", "Step 2 of 2: address.");

  const step2 = page.getByRole("group", { name: "Step 2: address" });
  await step2.getByLabel("Address").fill("12 St James's Square");
  await step2.getByLabel("City").fill("London");
  await step2.getByLabel("Postal code").fill("SW1Y 4JH");
  await step2.getByRole("button", { name: "Save step 2" }).click();
  await sees(page, "#wizard-step", "Both steps are done: check and submit.");
  await sees(page, "#wizard-data", /Ada Lovelace.*ada@example\.com.*London.*SW1Y 4JH/);

  await page.getByRole("button", { name: "Submit" }).click();
  await sees(page, "#message", /^Profile \d+ created for Ada Lovelace\.$/);
  await sees(page, "#wizard-step", "Step 1 of 2: contact.");
});

await step("starts the form over", async () => {
  const step1 = page.getByRole("group", { name: "Step 1: contact" });
  await step1.getByLabel("Name").fill("Charles Babbage");
  await step1.getByLabel("Email").fill("charles@example.com");
  await step1.getByLabel("Phone").fill("+44 20 7946 0000");
  await step1.getByRole("button", { name: "Save step 1" }).click();
  await sees(page, "#wizard-step", "Step 2 of 2: address.");
  await page.getByRole("button", { name: "Start over" }).click();
  await sees(page, "#message", "The form is empty again.");
  await sees(page, "#wizard-step", "Step 1 of 2: contact.");
  assert.equal(await step1.getByLabel("Name").inputValue(), "");
});

await step("logs out: anonymous again, and the cookie is gone", async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await sees(page, "#message", "Logged out.");
  await sees(page, "#session-status", "Anonymous: not logged in.");
  assert.equal(await sessionCookie(context, API), undefined);
});

await step("logs in with remember-me: a cookie for 30 days", async () => {
  await logIn(page, "ann", PASSWORD, true);
  await sees(page, "#session-status", /^Logged in as ann\. The session lasts until .+\.$/);
  const cookie = await sessionCookie(context, API);
  const days = (cookie.expires - Date.now() / 1000) / 86400;
  assert.ok(days > 29.9 && days <= 30, `the cookie expires in ${days} days, want 30`);
  await page.getByRole("button", { name: "Check the session" }).click();
  await sees(page, "#message", "Session checked.");
});

await step("the page the API serves calls the API only, whatever ?api= says", async () => {
  const own = await context.newPage();
  const logged = [];
  own.on("console", (m) => logged.push(m.text()));
  await own.goto(`${API}/demo/?api=${encodeURIComponent(OTHER_SITE)}`);
  await sees(own, "#message", `could not reach the API at ${OTHER_SITE} (unreachable).`);
  assert.ok(logged.some((t) => t.includes("Content Security Policy")), `no CSP report in ${logged}`);
  await own.close();
});

// A second API whose cookie is SameSite=None (and Secure, which Chromium
// allows on http://127.0.0.1, a secure context): the browser sends it
// with another site's posts too, and the API's own check is what refuses
// them.
const noneContext = await newContext();
let nonePage;

await step("[SameSite=None] registers, logs in and fills the cart", async () => {
  nonePage = await openDemo(noneContext, API_NONE);
  await register(nonePage, "bea", PASSWORD);
  await sees(nonePage, "#message", "Registered bea. You can log in now.");
  await logIn(nonePage, "bea", PASSWORD, false);
  await sees(nonePage, "#session-status", /^Logged in as bea\./);
  await addToCart(nonePage, "Tamper", "1 item");
  const cookie = await sessionCookie(noneContext, API_NONE);
  assert.deepEqual([cookie.sameSite, cookie.secure, cookie.httpOnly], ["None", true, true]);
});

await step("[SameSite=None] another site's form posts carry the cookie, and are refused 403", async () => {
  const want = { status: 403, code: "cross_origin_forbidden", cookies: ["sessionid"], site: "cross-site" };
  assert.deepEqual(await forge(noneContext, OTHER_SITE, "cart", API_NONE), want);
  assert.deepEqual(await forge(noneContext, OTHER_SITE, "logout", API_NONE), want);
  await nonePage.reload();
  await sees(nonePage, "#message", "Ready.");
  await sees(nonePage, "#session-status", /^Logged in as bea\./);
  assert.deepEqual(await cart(nonePage), { lines: [["Tamper", "29.00", "1", "29.00"]], totals: ["1 item", "29.00"] });
});

await step("no page threw an error", async () => {
  assert.deepEqual(pageErrors, []);
});

await browser.close();
