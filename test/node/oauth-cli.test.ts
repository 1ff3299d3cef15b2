// `npm run oauth` end to end: the CLI drives wrangler against a throwaway --persist-to state, and a
// `wrangler dev` on the same state proves the worker honours what the CLI wrote (and revoked).
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ClientView } from "../../tools/oauth-commands.ts";
import { parseOAuthArgs } from "../../tools/oauth-args.ts";
import { freePort, runOAuth, sha256Hex, startWranglerDev, stopGroup, tempDir, waitUntilServing, wrangler, type Background } from "./helpers.ts";

interface Created {
  clientId: string;
  clientSecret: string;
  tenant: string;
  name: string;
  redirectUris: string[];
  requirePkce: boolean;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  baseUrl: string;
}

const CALLBACK = "https://acme.okta.com/oauth2/v1/callback";

let persistTo: string;
let server: Background | undefined;
let created: Created;

const local = () => ["--persist-to", persistTo];

async function oauthJson<T>(args: string[]): Promise<T> {
  const result = await runOAuth([...args, "--json", ...local()]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(result.stdout) as T;
}

async function kvEntries(prefix: string): Promise<Array<{ name: string; metadata?: unknown }>> {
  return JSON.parse(await wrangler(["kv", "key", "list", "--binding", "KV", "--prefix", prefix, "--local", "--persist-to", persistTo])) as Array<{
    name: string;
    metadata?: unknown;
  }>;
}

beforeAll(async () => {
  persistTo = await tempDir("oauth-cli-");
});

afterAll(async () => {
  await stopGroup(server);
  await rm(persistTo, { recursive: true, force: true });
});

describe("oauth CLI", () => {
  test("client create --json prints the credentials once and the endpoints; only the secret's hash is stored", async () => {
    created = await oauthJson<Created>(["client", "create", "acme", "--redirect-uri", CALLBACK, "--name", "Okta"]);
    expect(created).toMatchObject({
      tenant: "acme",
      name: "Okta",
      redirectUris: [CALLBACK],
      requirePkce: false,
      authorizationEndpoint: "http://localhost:8787/oauth/authorize",
      tokenEndpoint: "http://localhost:8787/oauth/token",
      baseUrl: "http://localhost:8787/t/acme/scim/v2",
    });
    expect(created.clientId).toMatch(/^oc_[a-z2-7]{16}$/);
    expect(created.clientSecret).toMatch(/^scimcs_[A-Za-z0-9_-]{43}$/);
    const stored = await wrangler(["kv", "key", "get", "--binding", "KV", `oauth:client:${created.clientId}`, "--text", "--local", "--persist-to", persistTo]);
    expect(stored).not.toContain(created.clientSecret.slice(7));
    expect(JSON.parse(stored).secretHash).toBe(sha256Hex(created.clientSecret));
  });

  test("client create (text) prints the secret exactly once with the endpoints", async () => {
    const result = await runOAuth(["client", "create", "acme", "--redirect-uri", CALLBACK, "--require-pkce", ...local()]);
    expect(result.status).toBe(0);
    expect(result.stdout.match(/scimcs_[A-Za-z0-9_-]{43}/g)).toHaveLength(1);
    expect(result.stdout).toContain("Authorization endpoint:  http://localhost:8787/oauth/authorize");
    expect(result.stdout).toContain("Token endpoint:          http://localhost:8787/oauth/token");
    expect(result.stdout).toContain("PKCE required");
  });

  test("client list shows the tenant's clients without secrets or hashes", async () => {
    const { clients } = await oauthJson<{ clients: ClientView[] }>(["client", "list", "acme"]);
    expect(clients.map((c) => c.requirePkce)).toEqual([false, true]);
    expect(clients[0]).toMatchObject({ clientId: created.clientId, state: "active", redirectUris: [CALLBACK] });
    expect(JSON.stringify(clients)).not.toContain("secretHash");
    const text = await runOAuth(["client", "list", "acme", ...local()]);
    expect(text.stdout).toContain(created.clientId);
    expect(text.stdout).not.toContain(sha256Hex(created.clientSecret));
  });

  test("connect-code stores only a hash, with a TTL", async () => {
    const issued = await oauthJson<{ tenant: string; code: string; expiresAt: string }>(["connect-code", "acme"]);
    expect(issued.code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    const minutes = (Date.parse(issued.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    const entries = await kvEntries("oauth:connect:acme:");
    expect(entries.map((e) => e.name)).toContain(`oauth:connect:acme:${sha256Hex(issued.code.replace("-", ""))}`);
  });

  test("client revoke: the token endpoint refuses the client and its access tokens stop working", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = await startWranglerDev(port, persistTo);
    await waitUntilServing(url, server);
    const basicAuth = `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString("base64")}`;
    const tokenRequest = () =>
      fetch(`${url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basicAuth },
        body: "grant_type=client_credentials",
      });
    const issued = await tokenRequest();
    expect(issued.status).toBe(200);
    const { access_token } = (await issued.json()) as { access_token: string };
    expect((await fetch(`${url}/scim/v2/Users`, { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(200);

    const revoked = await oauthJson<ClientView & { deletedEntries: number }>(["client", "revoke", created.clientId]);
    expect(revoked.state).toBe("revoked");
    expect(revoked.deletedEntries).toBe(1);
    expect((await fetch(`${url}/scim/v2/Users`, { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(401);
    expect((await tokenRequest()).status).toBe(401);
    expect((await kvEntries("oauth:access:")).length).toBe(0);
  });

  test("bad input exits 2 with one line naming the problem", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /missing command/],
      [["client"], /client needs a subcommand/],
      [["client", "delete", "acme"], /unknown client subcommand "delete"/],
      [["client", "create", "acme"], /needs --redirect-uri/],
      [["client", "create", "acme", "--redirect-uri", "http://idp.example/cb"], /must use https/],
      [["client", "create", "acme", "--redirect-uri", "https://idp.example/cb#x"], /fragment/],
      [["client", "create", "Bad Tenant", "--redirect-uri", CALLBACK], /invalid tenant/],
      [["client", "revoke", "nope"], /invalid client id/],
      [["client", "revoke", "oc_aaaaaaaaaaaaaaaa"], /unknown client id/],
      [["client", "list", "ghost"], /unknown tenant ghost/],
      [["connect-code", "ghost"], /unknown tenant ghost/],
      [["connect-code", "acme", "--redirect-uri", CALLBACK], /unknown flag --redirect-uri for connect-code/],
      [["client", "list", "acme", "--env", "mars"], /unknown env "mars"/],
      [["client", "list", "acme", "--remote"], /--remote needs --env/],
    ];
    for (const [args, message] of cases) {
      const result = await runOAuth([...args, ...local()]);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("oauth arguments", () => {
  test("create with several redirect URIs, deduplicated; targets like npm run keys", () => {
    const parsed = parseOAuthArgs(["client", "create", "acme", "--redirect-uri", CALLBACK, "--redirect-uri", CALLBACK, "--redirect-uri", "http://localhost:9/cb", "--env", "de", "--remote"]);
    expect(parsed).toEqual({
      help: false,
      json: false,
      target: { env: "de", remote: true, persistTo: null },
      command: { name: "client create", tenant: "acme", clientName: "Identity provider", redirectUris: [CALLBACK, "http://localhost:9/cb"], requirePkce: false },
    });
  });
});
