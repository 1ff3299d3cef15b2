// POST /v1/passwords/verify (README, "Password checks"): the application checks a password Okta synced. Deactivated users are
// never valid; unknown users cost the same PBKDF2 as known ones; wrong passwords are rate limited per user
// and per key; the password appears in no response, log line or event.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { app as worker } from "../../src/app.ts";
import { BASE, call, expectScimError, headCursor, issueKey, json, readFeed } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const TENANT = "passwords-co";
const SECRET = "Correct-Horse-Battery-9";
const USER_LIMIT = 10; // wrangler.toml PASSWORD_FAIL_BY_USER

let scimToken = "";
let appToken = "";
let userId = "";

const verify = (body: unknown, token = appToken, path = "/v1/passwords/verify") =>
  call(path, { method: "POST", token, headers: { "Content-Type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call("/scim/v2/Users", { method: "POST", token: scimToken, body: JSON.stringify({ schemas: [USER], userName, ...extra }) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

beforeAll(async () => {
  ({ token: scimToken } = await issueKey(TENANT));
  ({ token: appToken } = await issueKey(TENANT, { scope: "app" }));
  userId = await createUser("Jane.Doe@example.com", { password: SECRET });
});

describe("checking a password", () => {
  it("the right password is valid, by userName (case-insensitively) and by id, on both base paths", async () => {
    for (const [body, path] of [
      [{ userName: "jane.doe@EXAMPLE.com", password: SECRET }, "/v1/passwords/verify"],
      [{ id: userId, password: SECRET }, `/t/${TENANT}/v1/passwords/verify`],
    ] as const) {
      const res = await verify(body, appToken, path);
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({ valid: true, id: userId, active: true });
    }
  });

  it("a wrong password is not valid", async () => {
    expect(await json(await verify({ userName: "jane.doe@example.com", password: "wrong" }))).toEqual({ valid: false, id: userId, active: true });
  });

  it("a deactivated user is never valid, even with the right password", async () => {
    const id = await createUser("leaver@example.com", { password: SECRET, active: false });
    expect(await json(await verify({ id, password: SECRET }))).toEqual({ valid: false, id, active: false });
  });

  it("an unknown user, or one without a password, is not valid", async () => {
    expect(await json(await verify({ userName: "nobody@example.com", password: SECRET }))).toEqual({ valid: false, id: null, active: null });
    const id = await createUser("no-password@example.com");
    expect(await json(await verify({ id, password: SECRET }))).toEqual({ valid: false, id, active: true });
  });

  it("an unknown user takes as long as a known one: both run the full PBKDF2", async () => {
    const time = async (body: unknown) => {
      const started = performance.now();
      await (await verify(body)).arrayBuffer();
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    await time({ userName: "warm-up@example.com", password: "x" });
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time({ userName: "jane.doe@example.com", password: `wrong-${i}` }));
      unknown.push(await time({ userName: `ghost-${i}@example.com`, password: `wrong-${i}` }));
    }
    console.info("password check ms: known", median(known), "unknown", median(unknown));
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(unknown)).toBeLessThan(median(known) * 2);
  });

  it("bad input is a 400 naming the field, never echoing the password", async () => {
    for (const body of [
      { userName: "a" },
      { password: SECRET },
      { userName: "a", id: "b", password: SECRET },
      { userName: "a", password: "" },
      { userName: "a", password: SECRET, extra: 1 },
      { userName: 5, password: SECRET },
      `{"userName": "a", "password": "${SECRET}"`,
    ]) {
      const res = await verify(body);
      const error = await expectScimError(res, 400);
      expect(JSON.stringify(error)).not.toContain(SECRET);
    }
    await expectScimError(await call("/v1/passwords/verify", { token: appToken }), 405);
  });
});

describe("passwords never leave the worker", () => {
  let logged: string[] = [];
  beforeEach(() => {
    logged = [];
    for (const method of ["log", "error", "warn", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("setting and checking a password writes it to no log line and no event", async () => {
    const head = await headCursor(appToken);
    const id = await createUser("logged@example.com", { password: "Log-Me-Not-1" });
    await call(`/scim/v2/Users/${id}`, {
      method: "PATCH",
      token: scimToken,
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "password", value: "Log-Me-Not-2" }] }),
    });
    await verify({ id, password: "Log-Me-Not-2" });
    await verify({ id, password: "Log-Me-Not-3" });
    await verify(`{"id": "${id}", "password": "Log-Me-Not-4`);
    const { events } = await readFeed(appToken, head);
    expect(events.map((e) => e.type)).toEqual(["user.created", "user.password_changed"]);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify([logged, events])).not.toMatch(/Log-Me-Not|pbkdf2/);
  });
});

describe("failed checks are rate limited (429 with an integer Retry-After)", () => {
  async function expect429(res: Response): Promise<void> {
    await expectScimError(res, 429);
    expect(res.headers.get("Retry-After")).toBe("60");
  }

  it("per user (PASSWORD_FAIL_BY_USER): over the limit, even the right password is refused in that window", async () => {
    const id = await createUser(`limited-${crypto.randomUUID().slice(0, 8)}@example.com`, { password: SECRET });
    let refused: Response | undefined;
    for (let i = 0; i <= 2 * USER_LIMIT; i++) {
      const res = await verify({ id, password: `guess-${i}` });
      if (i < USER_LIMIT) expect(res.status, `failure ${i + 1}, within the limit`).toBe(200);
      if (res.status === 429) {
        refused = res;
        break;
      }
      await res.arrayBuffer();
    }
    expect(refused, "a 429 within twice the limit").toBeDefined();
    await expect429(refused!);
    await expect429(await verify({ id, password: SECRET }));
    // Another user is unaffected.
    expect(await json(await verify({ id: userId, password: SECRET }))).toMatchObject({ valid: true });
  });

  it("per key (PASSWORD_FAIL_BY_KEY, the test's 3-per-minute stand-in), across users", async () => {
    const { token } = await issueKey(TENANT, { scope: "app", label: `limited-${crypto.randomUUID().slice(0, 8)}` });
    const send = async (i: number) => {
      const ctx = createExecutionContext();
      const request = new Request(`${BASE}/v1/passwords/verify`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ userName: `someone-${i}@example.com`, password: "wrong" }),
      });
      const res = await worker.fetch(request, { ...env, PASSWORD_FAIL_BY_KEY: env.TEST_PASSWORD_FAIL_BY_KEY }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    let status = 0;
    for (let i = 0; i < 3; i++) expect((await send(i)).status).toBe(200);
    for (let i = 3; i <= 7 && status !== 429; i++) {
      const res = await send(i);
      status = res.status;
      if (status === 429) await expect429(res);
    }
    expect(status).toBe(429);
  });
});
