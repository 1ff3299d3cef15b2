// The OAuth authorization-code flow as an identity provider's admin lives it, in a real headless
// Chromium against `npm run dev`: the operator registers a client and hands out a connect code; the
// browser opens the authorization page, a wrong code is refused, the right one approved; the IdP (this
// test) exchanges the code, calls SCIM, refreshes, and replays the old refresh token, which must revoke
// the grant. Declining sends error=access_denied. Screenshots: test-artifacts/oauth/*.png.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Browser, findChromium, type Page } from "./cdp.ts";
import {
  bearer,
  freePort,
  REPO_ROOT,
  runOAuth,
  startDevCommand,
  stopGroup,
  tempDir,
  TOKEN_IN_TEXT,
  waitFor,
  waitUntilServing,
  type Background,
} from "./helpers.ts";

const ARTIFACTS = join(REPO_ROOT, "test-artifacts", "oauth");

let persistTo: string;
let dev: Background | undefined;
let baseUrl: string;
let browser: Browser | undefined;
let callback: Server | undefined;
let callbackUrl: string;
/** Query strings the IdP's callback received, in order. */
const received: URLSearchParams[] = [];

interface Client {
  clientId: string;
  clientSecret: string;
}
let client: Client;

const base64url = (bytes: Buffer) => bytes.toString("base64url");

async function oauthJson<T>(args: string[]): Promise<T> {
  const result = await runOAuth([...args, "--json", "--persist-to", persistTo]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const connectCode = async () => (await oauthJson<{ code: string }>(["connect-code", "demo"])).code;

function tokenRequest(body: Record<string, string>): Promise<Response> {
  return fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: new URLSearchParams(body),
  });
}

function authorizeUrl(state: string, challenge: string): string {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: callbackUrl,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `${baseUrl}/oauth/authorize?${query}`;
}

async function waitForCallback(count: number): Promise<URLSearchParams> {
  const deadline = Date.now() + 15_000;
  while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const last = received[count - 1];
  if (last === undefined) throw new Error("the IdP callback was not called");
  return last;
}

beforeAll(async () => {
  const executable = await findChromium();
  if (executable === null) throw new Error("Chromium not found: install it (apt-get install -y chromium) or set CHROMIUM_PATH");
  await mkdir(ARTIFACTS, { recursive: true });
  persistTo = await tempDir("oauth-browser-");

  // The IdP's redirect URI: a local server that records what the browser brings back.
  const callbackPort = await freePort();
  callbackUrl = `http://127.0.0.1:${callbackPort}/callback`;
  callback = createServer((request, response) => {
    // Only the callback path: the browser also asks this origin for /favicon.ico.
    const url = new URL(request.url ?? "/", callbackUrl);
    if (url.pathname === "/callback") received.push(url.searchParams);
    response.writeHead(200, { "Content-Type": "text/html" }).end("<h1>Identity provider: callback received</h1>");
  });
  await new Promise<void>((resolve) => callback?.listen(callbackPort, "127.0.0.1", resolve));

  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  dev = await startDevCommand(port, persistTo);
  const running = dev;
  // Generous: dev applies migrations and issues a key through several wrangler runs on a shared 2-core machine.
  await waitFor("the printed token", async () => running.output().match(TOKEN_IN_TEXT)?.[0] ?? null, running, 150_000);
  await waitUntilServing(baseUrl, running);

  // The operator's part: a client for tenant demo with the IdP's callback, PKCE required.
  client = await oauthJson<Client>(["client", "create", "demo", "--name", "Okta (browser test)", "--redirect-uri", callbackUrl, "--require-pkce"]);
  browser = await Browser.launch(executable);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stopGroup(dev);
  await new Promise((resolve) => (callback ? callback.close(resolve) : resolve(undefined)));
  if (persistTo) await rm(persistTo, { recursive: true, force: true });
});

describe("OAuth authorization code in a real browser against npm run dev", () => {
  let page: Page;
  let tokens: { access_token: string; refresh_token: string };

  test("wrong code, then the right one: the browser returns to the IdP with a code; SCIM, refresh and reuse detection follow", async () => {
    page = await browser!.newPage();
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash("sha256").update(verifier).digest());
    const state = base64url(randomBytes(12));

    await page.goto(authorizeUrl(state, challenge));
    const text = await page.text();
    expect(text).toContain("Connect Okta (browser test) to tenant demo");
    await page.screenshot(join(ARTIFACTS, "01-authorize.png"));

    // A wrong code: the page says so, nothing reaches the IdP.
    await page.type("#connect_code", "ZZZZ-ZZZZ");
    await page.clickAndWait("#approve");
    expect(await page.text()).toContain("That connect code is not valid for this tenant");
    expect(received).toHaveLength(0);
    await page.screenshot(join(ARTIFACTS, "02-wrong-code.png"));

    // The right code from the operator: approve, and the browser lands on the IdP's callback.
    await page.type("#connect_code", await connectCode());
    await page.clickAndWait("#approve");
    const back = await waitForCallback(1);
    expect(back.get("state")).toBe(state);
    const code = back.get("code");
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.url()).toMatch(new RegExp(`^${callbackUrl}\\?`));
    await page.screenshot(join(ARTIFACTS, "03-callback.png"));

    // The IdP exchanges the code (client_secret_basic, PKCE verifier).
    const exchanged = await tokenRequest({ grant_type: "authorization_code", code: code!, redirect_uri: callbackUrl, code_verifier: verifier });
    expect(exchanged.status).toBe(200);
    tokens = (await exchanged.json()) as typeof tokens;
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 3600 });

    // SCIM with the access token, in both URL forms.
    for (const path of ["/scim/v2/Users", "/t/demo/scim/v2/Users"]) {
      const response = await fetch(`${baseUrl}${path}`, { headers: bearer(tokens.access_token) });
      expect(response.status).toBe(200);
    }

    // Refresh: a new pair; the new access token works.
    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as typeof tokens;
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect((await fetch(`${baseUrl}/scim/v2/Users`, { headers: bearer(second.access_token) })).status).toBe(200);

    // The old refresh token is refused, and its reuse revoked the grant: the new pair is dead too.
    const replay = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
    const afterReuse = await tokenRequest({ grant_type: "refresh_token", refresh_token: second.refresh_token });
    expect(afterReuse.status).toBe(400);
    expect((await fetch(`${baseUrl}/scim/v2/Users`, { headers: bearer(second.access_token) })).status).toBe(401);

    // The code cannot be exchanged again.
    const again = await tokenRequest({ grant_type: "authorization_code", code: code!, redirect_uri: callbackUrl, code_verifier: verifier });
    expect(again.status).toBe(400);
  });

  test("decline: the IdP receives error=access_denied with its state, and no code", async () => {
    page = await browser!.newPage();
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash("sha256").update(verifier).digest());
    await page.goto(authorizeUrl("decline-state", challenge));
    await page.screenshot(join(ARTIFACTS, "04-before-decline.png"));
    await page.clickAndWait("#decline");
    const back = await waitForCallback(2);
    expect(back.get("error")).toBe("access_denied");
    expect(back.get("state")).toBe("decline-state");
    expect(back.get("code")).toBeNull();
    await page.screenshot(join(ARTIFACTS, "05-declined.png"));
  });

  test("an unregistered redirect_uri is shown on the page, never followed", async () => {
    page = await browser!.newPage();
    const query = new URLSearchParams({ response_type: "code", client_id: client.clientId, redirect_uri: "https://evil.example/cb", state: "s" });
    await page.goto(`${baseUrl}/oauth/authorize?${query}`);
    expect(await page.url()).toContain(`${baseUrl}/oauth/authorize`);
    expect(await page.text()).toContain("The redirect_uri is not one registered for this client.");
    await page.screenshot(join(ARTIFACTS, "06-bad-redirect.png"));
  });
});
