// The write-only `password` (RFC 7643 §4.1.1, returned "never"): peppered hashes, one PBKDF2 per request whatever the
// optimistic-concurrency retries, and `remove password` clears the password (RFC 7644 §3.5.2.2: remove
// unassigns the attribute) instead of silently doing nothing.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyPassword } from "../../src/scim/password.ts";
import { call, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let token = "";

beforeAll(async () => {
  ({ token } = await issueKey(`pw-${crypto.randomUUID().slice(0, 8)}`));
});

afterEach(() => vi.restoreAllMocks());

async function createUser(userName: string, password?: string): Promise<string> {
  const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName, ...(password ? { password } : {}) }) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

const storedHash = async (id: string) => (await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(id).first<{ password_hash: string | null }>())?.password_hash ?? null;
const patch = (id: string, operations: unknown[]) => call(`/scim/v2/Users/${id}`, { method: "PATCH", token, body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }) });

describe("passwords are stored peppered", () => {
  it("the stored hash verifies with the deployment's PASSWORD_PEPPER and not without it", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const id = await createUser("peppered", "C0rrect-Horse");
    const hash = await storedHash(id);
    expect(hash).toMatch(/^pbkdf2-sha256-peppered\$100000\$/);
    expect(await verifyPassword("C0rrect-Horse", hash!, env.PASSWORD_PEPPER)).toBe(true);
    expect(await verifyPassword("C0rrect-Horse", hash!, "another-pepper-0123456789abcdefghijkl")).toBe(false);
  });
});

describe("remove password clears the password", () => {
  it("PATCH remove of `password` (with or without the core URN) answers 200 and leaves no hash", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    for (const path of ["password", `${USER}:password`]) {
      const id = await createUser(`removed-${path.length}`, "S3cret-pw");
      expect(await storedHash(id)).not.toBeNull();
      const res = await patch(id, [{ op: "remove", path }]);
      expect(res.status).toBe(200);
      expect((await json(res)).password).toBeUndefined();
      expect(await storedHash(id)).toBeNull();
    }
  });

  it("remove then add in one request sets the new password; add then remove clears it", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const id = await createUser("reset", "Old-pw-1");
    expect((await patch(id, [{ op: "remove", path: "password" }, { op: "add", path: "password", value: "New-pw-2" }])).status).toBe(200);
    expect(await verifyPassword("New-pw-2", (await storedHash(id))!, env.PASSWORD_PEPPER)).toBe(true);
    expect((await patch(id, [{ op: "add", path: "password", value: "Newer-pw-3" }, { op: "remove", path: "password" }])).status).toBe(200);
    expect(await storedHash(id)).toBeNull();
  });
});

describe("one password hash per request, whatever the optimistic-concurrency retries", () => {
  it("a PATCH setting a password that loses a race to another write is retried without hashing again", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const id = await createUser("racer");
    const subtle = crypto.subtle;
    const original = subtle.deriveBits.bind(subtle);
    let derivations = 0;
    // The first PBKDF2 of the request also lets a concurrent writer bump the user's version, so the
    // request's first write loses the version check and is retried on the newer version.
    vi.spyOn(subtle, "deriveBits").mockImplementation(async (...args: Parameters<SubtleCrypto["deriveBits"]>) => {
      derivations++;
      if (derivations === 1) await env.DB.prepare("UPDATE users SET version = version + 1 WHERE id = ?").bind(id).run();
      return original(...args);
    });
    const res = await patch(id, [{ op: "replace", path: "password", value: "Raced-pw-1" }]);
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe('W/"3"');
    expect(derivations).toBe(1);
    vi.restoreAllMocks();
    expect(await verifyPassword("Raced-pw-1", (await storedHash(id))!, env.PASSWORD_PEPPER)).toBe(true);
  });
});
