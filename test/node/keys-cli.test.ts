// `npm run keys` end to end: the CLI drives wrangler against a throwaway --persist-to state, and a
// `wrangler dev` on the same state proves the worker accepts exactly the keys the CLI says are usable.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { KeyView } from "../../tools/key-commands.ts";
import { keyRecordSchema } from "../../src/keys/token.ts";
import {
  basic,
  bearer,
  freePort,
  keyIdOf,
  runKeys,
  secretOf,
  sha256Hex,
  startWranglerDev,
  status,
  stopGroup,
  tempDir,
  TOKEN_IN_TEXT,
  TOKEN_PATTERN,
  waitUntilServing,
  wrangler,
  type Background,
} from "./helpers.ts";

interface Created {
  token: string;
  keyId: string;
  tenant: string;
  baseUrl: string;
}
interface Rotated extends Created {
  replacedKeyId: string;
  replacedRevokedAt: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

let persistTo: string;
let server: Background | undefined;
let serverUrl: string;

const local = () => ["--persist-to", persistTo];

// Tokens issued by the lifecycle tests, checked against the running worker afterwards.
const tokens = {} as {
  acme: Created; // label okta, org; rotated with --grace 30 (still works)
  acmeInGrace: Rotated; // its replacement, revoked by `revoke`
  beta: string; // tenant beta
  acmeSecond: Created; // expires in 30 days; rotated with --grace 0
  acmeSecondReplacement: Rotated;
  expiring: Created;
  app: Created; // --scope app
};

async function keysJson<T>(args: string[]): Promise<T> {
  const result = await runKeys([...args, "--json", ...local()]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(result.stdout) as T;
}

async function listed(tenant: string): Promise<Map<string, KeyView>> {
  const { keys } = await keysJson<{ tenant: string; keys: KeyView[] }>(["list", tenant]);
  return new Map(keys.map((key) => [key.keyId, key]));
}

/** Every 8-character piece of the secret: none may appear in anything stored or listed. */
function secretPieces(token: string): string[] {
  const secret = secretOf(token);
  return Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
}

beforeAll(async () => {
  persistTo = await tempDir("keys-cli-");
});

afterAll(async () => {
  await stopGroup(server);
  await rm(persistTo, { recursive: true, force: true });
});

describe("keys CLI lifecycle", () => {
  test("create --json on an empty state: one line {token, keyId, tenant, baseUrl}", async () => {
    tokens.acme = await keysJson<Created>(["create", "acme", "--label", "okta", "--org", "O'Brien & Co"]);
    expect(Object.keys(tokens.acme).sort()).toEqual(["baseUrl", "keyId", "tenant", "token"]);
    expect(tokens.acme.token).toMatch(TOKEN_PATTERN);
    expect(keyIdOf(tokens.acme.token)).toBe(tokens.acme.keyId);
    expect(tokens.acme.tenant).toBe("acme");
    expect(tokens.acme.baseUrl).toBe("http://localhost:8787/t/acme/scim/v2");
  });

  test("create makes the tenant: region local, --org as default organization (quotes survive SQL)", async () => {
    const out = await wrangler([
      "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json",
      "--command", "SELECT slug, region, default_organization, status FROM tenants",
    ]);
    const [statement] = JSON.parse(out) as Array<{ results: unknown[] }>;
    expect(statement?.results).toEqual([
      { slug: "acme", region: "local", default_organization: "O'Brien & Co", status: "active" },
    ]);
  });

  test("create (text) prints the token exactly once and both base URLs", async () => {
    const result = await runKeys(["create", "beta", "--label", "entra", ...local()]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const printed = result.stdout.match(TOKEN_IN_TEXT) ?? [];
    expect(printed).toHaveLength(1);
    tokens.beta = printed[0] ?? "";
    expect(result.stdout).toContain("Created tenant beta");
    expect(result.stdout).toContain("http://localhost:8787/scim/v2 ");
    expect(result.stdout).toContain("http://localhost:8787/t/beta/scim/v2 ");
  });

  test("create on an existing tenant issues another key with --expires", async () => {
    tokens.acmeSecond = await keysJson<Created>(["create", "acme", "--label", "second", "--expires", "30"]);
    expect(tokens.acmeSecond.keyId).not.toBe(tokens.acme.keyId);
  });

  test("list shows ids, labels, dates and state; never a secret or a hash", async () => {
    const result = await runKeys(["list", "acme", "--json", ...local()]);
    expect(result.status).toBe(0);
    const { keys: listedKeys } = JSON.parse(result.stdout) as { keys: KeyView[] };
    const keys = new Map(listedKeys.map((key) => [key.keyId, key]));
    expect([...keys.keys()]).toEqual([tokens.acme.keyId, tokens.acmeSecond.keyId]);
    expect(keys.get(tokens.acme.keyId)).toMatchObject({
      tenant: "acme", scope: "scim", label: "okta", organization: "O'Brien & Co", expiresAt: null, revokedAt: null, state: "active",
    });
    const second = keys.get(tokens.acmeSecond.keyId);
    expect(second).toMatchObject({ label: "second", organization: null, state: "active" });
    expect(Date.parse(second?.expiresAt ?? "") - Date.parse(second?.createdAt ?? "")).toBe(30 * DAY);

    const text = await runKeys(["list", "acme", ...local()]);
    expect(text.status).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^KEY ID +SCOPE +LABEL +STATE +CREATED +EXPIRES +REVOKED +ORGANIZATION$/);
    expect(text.stdout).toMatch(new RegExp(`^${tokens.acme.keyId} +scim +okta +active `, "m"));

    for (const output of [result.stdout, text.stdout]) {
      expect(output).not.toMatch(/hash/i);
      for (const token of [tokens.acme.token, tokens.acmeSecond.token]) {
        for (const piece of secretPieces(token)) expect(output).not.toContain(piece);
      }
    }
  });

  test("create --scope app issues an application key; list shows its scope", async () => {
    tokens.app = await keysJson<Created>(["create", "acme", "--scope", "app", "--label", "backend"]);
    const text = await runKeys(["create", "acme", "--scope", "app", "--label", "backend-2", ...local()]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Issued app key [a-z2-7]{16} for tenant acme /m);
    const { keys } = JSON.parse((await runKeys(["list", "acme", "--json", ...local()])).stdout) as { keys: KeyView[] };
    expect(keys.find((k) => k.keyId === tokens.app.keyId)).toMatchObject({ scope: "app", label: "backend" });
    const table = (await runKeys(["list", "acme", ...local()])).stdout;
    expect(table).toMatch(new RegExp(`^${tokens.app.keyId} +app +backend +active `, "m"));
  });

  test("KV stores SHA-256(secret) under key:<keyId>, and no part of the secret in value or metadata", async () => {
    const listing = JSON.parse(
      await wrangler(["kv", "key", "list", "--binding", "KV", "--prefix", "key:", "--local", "--persist-to", persistTo]),
    ) as Array<{ name: string; metadata: unknown }>;
    for (const token of [tokens.acme.token, tokens.beta]) {
      const name = `key:${keyIdOf(token)}`;
      const value = await wrangler(["kv", "key", "get", "--binding", "KV", name, "--text", "--local", "--persist-to", persistTo]);
      const record = keyRecordSchema.parse(JSON.parse(value));
      expect(record.hash).toBe(sha256Hex(secretOf(token)));

      const metadata = listing.find((entry) => entry.name === name)?.metadata;
      const { hash: _hash, ...withoutHash } = record;
      expect(metadata).toEqual(withoutHash);

      const stored = value + JSON.stringify(metadata);
      expect(stored).not.toContain(token);
      for (const piece of secretPieces(token)) expect(stored).not.toContain(piece);
    }
  });

  test("rotate --grace 0: old key revoked at once; replacement keeps tenant, label, org and expiry policy", async () => {
    const rotated = await keysJson<Rotated>(["rotate", tokens.acmeSecond.keyId, "--grace", "0"]);
    tokens.acmeSecondReplacement = rotated;
    expect(rotated.token).toMatch(TOKEN_PATTERN);
    expect(rotated).toMatchObject({ tenant: "acme", replacedKeyId: tokens.acmeSecond.keyId, baseUrl: tokens.acme.baseUrl });

    const keys = await listed("acme");
    expect(keys.get(tokens.acmeSecond.keyId)?.state).toBe("revoked");
    const replacement = keys.get(rotated.keyId);
    expect(replacement).toMatchObject({ label: "second", organization: null, revokedAt: null, state: "active" });
    expect(Date.parse(replacement?.expiresAt ?? "") - Date.parse(replacement?.createdAt ?? "")).toBe(30 * DAY);
  });

  test("rotate --grace 30: old key is 'revoking' until now + 30 minutes", async () => {
    const before = Date.now();
    const rotated = await keysJson<Rotated>(["rotate", tokens.acme.keyId, "--grace", "30"]);
    tokens.acmeInGrace = rotated;
    const revokedAt = Date.parse(rotated.replacedRevokedAt);
    expect(revokedAt).toBeGreaterThanOrEqual(before + 30 * MINUTE);
    expect(revokedAt).toBeLessThanOrEqual(Date.now() + 30 * MINUTE);

    const keys = await listed("acme");
    expect(keys.get(tokens.acme.keyId)).toMatchObject({ state: "revoking", revokedAt: rotated.replacedRevokedAt });
    expect(keys.get(rotated.keyId)).toMatchObject({ label: "okta", organization: "O'Brien & Co", expiresAt: null, state: "active" });
  });

  test("revoke: revoked now, and revoking again changes nothing", async () => {
    const first = await keysJson<KeyView>(["revoke", tokens.acmeInGrace.keyId]);
    expect(first).toMatchObject({ keyId: tokens.acmeInGrace.keyId, state: "revoked" });
    expect(Date.parse(first.revokedAt ?? "")).toBeLessThanOrEqual(Date.now());
    const again = await keysJson<KeyView>(["revoke", tokens.acmeInGrace.keyId]);
    expect(again.revokedAt).toBe(first.revokedAt);
    expect(Object.keys(first)).not.toContain("hash");
  });

  test("rotate refuses a revoked key (exit 2)", async () => {
    const result = await runKeys(["rotate", tokens.acmeSecond.keyId, ...local()]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: key [a-z2-7]{16} is revoked.*\n$/);
  });

  test("--expires 0.00001 (under a second): the key lists as expired", async () => {
    tokens.expiring = await keysJson<Created>(["create", "acme", "--label", "short", "--expires", "0.00001"]);
    const keys = await listed("acme");
    const key = keys.get(tokens.expiring.keyId);
    // 0.00001 days = 864 ms.
    expect(Date.parse(key?.expiresAt ?? "") - Date.parse(key?.createdAt ?? "")).toBeCloseTo(864, -1);
    expect(key?.state).toBe("expired");
  });

  test("--env com: that environment's local state, region and base URL", async () => {
    const created = await keysJson<Created>(["create", "gamma", "--env", "com"]);
    expect(created.baseUrl).toBe("https://scim.example.com/t/gamma/scim/v2");
    const out = await wrangler([
      "d1", "execute", "DB", "--env", "com", "--local", "--persist-to", persistTo, "--json",
      "--command", "SELECT slug, region FROM tenants",
    ]);
    const [statement] = JSON.parse(out) as Array<{ results: unknown[] }>;
    // env.com has its own database: the top-level tenants are not in it.
    expect(statement?.results).toEqual([{ slug: "gamma", region: "com" }]);
  });

  test("bad input: exit status 2, one line on stderr, nothing on stdout", async () => {
    const cases: string[][] = [
      ["list", "nosuchtenant", ...local()],
      ["list", "Acme", ...local()],
      ["create", "a", ...local()],
      ["create", "acme_corp", ...local()],
      ["create", "acme", "--expires", "0"],
      ["create", "acme", "--expires", "-1"],
      ["create", "acme", "--expires", "soon"],
      ["create", "acme", "--label", "two\nlines"],
      ["create"],
      ["revoke", "not-a-key-id"],
      ["revoke", "aaaaaaaaaaaaaaaa", ...local()],
      ["rotate", "aaaaaaaaaaaaaaaa", ...local()],
      ["rotate", tokens.acme.keyId, "--grace", "-5"],
      ["list", "acme", "--env", "eu"],
      ["list", "acme", "--remote"],
      ["frobnicate", "acme"],
      [],
      ["list", "acme", "--verbose"],
      ["list", "acme", "--grace", "5"],
      ["list", "acme", "extra"],
      ["create", "acme", "--scope", "admin"],
      ["create", "acme", "--scope", ""],
      ["list", "acme", "--scope", "app"],
    ];
    const results = await Promise.all(cases.map((args) => runKeys(args)));
    results.forEach((result, i) => {
      const context = JSON.stringify(cases[i]);
      expect(result.status, context).toBe(2);
      expect(result.stdout, context).toBe("");
      expect(result.stderr, context).toMatch(/^error: [^\n]+\n$/);
    });
  });

  test("wrangler failure: exit status 1, one line on stderr", async () => {
    // A file where the state directory should be: wrangler cannot create its state there.
    const notADirectory = join(persistTo, "..", `not-a-dir-${process.pid}`);
    await writeFile(notADirectory, "");
    try {
      const result = await runKeys(["create", "acme", "--persist-to", notADirectory]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^error: wrangler [^\n]+ failed: [^\n]+\n$/);
    } finally {
      await rm(notADirectory, { force: true });
    }
  });
});

describe("keys as the running worker sees them (wrangler dev on the same state)", () => {
  const spc = (base = serverUrl) => `${base}/scim/v2/ServiceProviderConfig`;
  const tenantSpc = (tenant: string) => `${serverUrl}/t/${tenant}/scim/v2/ServiceProviderConfig`;

  beforeAll(async () => {
    // Started on the state the lifecycle tests left behind; KEY_CACHE_SECONDS:0 makes every request re-read KV.
    const port = await freePort();
    serverUrl = `http://127.0.0.1:${port}`;
    server = await startWranglerDev(port, persistTo);
    await waitUntilServing(serverUrl, server);
  });

  test("a created key is accepted; a wrong or missing token gets 401", async () => {
    expect(await status(spc(), bearer(tokens.beta))).toBe(200);
    const wrongSecret = `scim_${keyIdOf(tokens.beta)}_${"A".repeat(43)}`;
    expect(await status(spc(), bearer(wrongSecret))).toBe(401);
    expect(await status(spc(), bearer(`scim_${"a".repeat(16)}_${"A".repeat(43)}`))).toBe(401);
    expect(await status(spc())).toBe(401);
  });

  test("revoke takes effect on the running worker", async () => {
    expect(await status(spc(), bearer(tokens.acmeInGrace.token))).toBe(401);
    const live = await keysJson<Created>(["create", "acme", "--label", "live"]);
    expect(await status(spc(), bearer(live.token))).toBe(200);
    await keysJson<KeyView>(["revoke", live.keyId]);
    expect(await status(spc(), bearer(live.token))).toBe(401);
  });

  test("rotation: rotated-out key (grace 0) 401, its replacement 200, a key within its grace period 200", async () => {
    expect(await status(spc(), bearer(tokens.acmeSecond.token))).toBe(401);
    expect(await status(spc(), bearer(tokens.acmeSecondReplacement.token))).toBe(200);
    expect(await status(spc(), bearer(tokens.acme.token))).toBe(200);
  });

  test("an expired key gets 401", async () => {
    expect(await status(spc(), bearer(tokens.expiring.token))).toBe(401);
  });

  test("/t/<tenant>/scim/v2: another tenant's token 401, the tenant's own 200", async () => {
    expect(await status(tenantSpc("acme"), bearer(tokens.beta))).toBe(401);
    expect(await status(tenantSpc("beta"), bearer(tokens.beta))).toBe(200);
    expect(await status(tenantSpc("acme"), bearer(tokens.acmeSecondReplacement.token))).toBe(200);
  });

  test("scopes: the app key reads /v1/events, the scim key gets a 403 there; both reach SCIM", async () => {
    expect(await status(`${serverUrl}/v1/events?limit=0`, bearer(tokens.app.token))).toBe(200);
    expect(await status(`${serverUrl}/t/acme/v1/events?limit=0`, bearer(tokens.app.token))).toBe(200);
    expect(await status(`${serverUrl}/v1/events?limit=0`, bearer(tokens.acme.token))).toBe(403);
    expect(await status(spc(), bearer(tokens.app.token))).toBe(200);
  });

  test("Basic auth: username = tenant, password = token 200; another tenant's name 401", async () => {
    expect(await status(spc(), basic("beta", tokens.beta))).toBe(200);
    expect(await status(tenantSpc("beta"), basic("beta", tokens.beta))).toBe(200);
    expect(await status(spc(), basic("acme", tokens.beta))).toBe(401);
  });
});
