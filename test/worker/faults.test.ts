// D1 overloaded or restarting is a 503 SCIM error with an integer Retry-After, never a 500 with a stack.
// A healthy local D1 never raises those errors, so: (1) a trigger inside the real database raises D1's
// overload text from a real statement, which travels the real binding, drizzle and the routes to the client;
// (2) the error handler the app uses is driven with every retryable error D1 documents, shaped as D1 and
// drizzle deliver them; (3) real non-transient errors from the binding stay 500s without internals.
import { env } from "cloudflare:workers";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { renderError } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { TRANSIENT_D1_MESSAGES, isTransientD1Error } from "../../src/storage/errors.ts";
import { call, expectScimError, issueKey } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const OVERLOADED = "D1 DB is overloaded. Requests queued for too long.";

/** No stack frames, SQL or driver names reach the client. */
function expectNoInternals(body: Record<string, unknown>): void {
  expect(JSON.stringify(body)).not.toMatch(/\bat \w|\.ts:\d|\.js:\d|SELECT|INSERT|Failed query|D1_ERROR|SQLITE/);
}

async function expect503(res: Response): Promise<void> {
  const body = await expectScimError(res, 503);
  expect(res.headers.get("Retry-After")).toMatch(/^[1-9][0-9]*$/);
  expectNoInternals(body);
}

/** The app's own error handler behind a route that throws `error`. */
function throwing(error: unknown): Promise<Response> {
  const probe = new Hono<AppEnv>();
  probe.get("/probe", () => {
    throw error;
  });
  probe.onError(renderError);
  return Promise.resolve(probe.request("/probe"));
}

/** As drizzle delivers a failed D1 statement: its own error, with D1's error as the cause. */
const viaDrizzle = (d1Message: string) => new DrizzleQueryError("select 1 from users where id = ?", ["x"], new Error(`D1_ERROR: ${d1Message}`));

describe("a real statement failing with D1's overload text, end to end", () => {
  let token = "";
  beforeAll(async () => {
    ({ token } = await issueKey("faults-co"));
    await env.DB.prepare(
      `CREATE TRIGGER overloaded BEFORE INSERT ON users WHEN NEW.user_name = 'overload@example.com' BEGIN SELECT RAISE(ABORT, '${OVERLOADED}'); END`,
    ).run();
  });

  it("POST /Users answers 503 with an integer Retry-After and stores nothing", async () => {
    const body = JSON.stringify({ schemas: [USER], userName: "overload@example.com" });
    await expect503(await call("/scim/v2/Users", { method: "POST", token, body }));
    const row = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE user_name = 'overload@example.com'").first<{ n: number }>();
    expect(row?.n).toBe(0);
    // Nor its event: the change feed never announces a change that did not happen.
    const events = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE body LIKE '%overload@example.com%'").first<{ n: number }>();
    expect(events?.n).toBe(0);
  });
});

describe("every retryable D1 error is a 503", () => {
  for (const message of TRANSIENT_D1_MESSAGES) {
    it(`"${message}"`, async () => {
      expect(isTransientD1Error(new Error(`D1_ERROR: ${message}`))).toBe(true);
      await expect503(await throwing(viaDrizzle(message)));
    });
  }

  it("both overload texts D1 documents", async () => {
    for (const text of [OVERLOADED, "D1 DB is overloaded. Too many requests queued."]) await expect503(await throwing(viaDrizzle(text)));
  });

  it("errors workerd marks retryable or overloaded (Durable Object errors beneath D1)", async () => {
    await expect503(await throwing(Object.assign(new Error("Durable Object storage operation exceeded timeout"), { retryable: true })));
    await expect503(await throwing(Object.assign(new Error("Durable Object is overloaded"), { overloaded: true })));
  });
});

describe("other D1 errors stay 500s, without internals", () => {
  async function realError(sql: string): Promise<unknown> {
    try {
      await env.DB.prepare(sql).all();
    } catch (error) {
      return error;
    }
    throw new Error(`expected ${sql} to fail`);
  }

  for (const sql of ["SELECT * FROM no_such_table", "SELEKT 1", "INSERT INTO write_guard (must_change) VALUES (NULL)"]) {
    it(`the binding's own error for ${sql}`, async () => {
      const error = await realError(sql);
      expect(isTransientD1Error(error)).toBe(false);
      const res = await throwing(error);
      const body = await expectScimError(res, 500);
      expect(res.headers.get("Retry-After")).toBeNull();
      expectNoInternals(body);
    });
  }

  it("a constraint violation wrapped by drizzle", async () => {
    expect(isTransientD1Error(viaDrizzle("UNIQUE constraint failed: users.tenant_id, users.user_name_key: SQLITE_CONSTRAINT"))).toBe(false);
  });
});
