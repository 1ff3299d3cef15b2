// DELETE with If-Match (RFC 7644 §3.14) is one atomic check, with no gap between check and use: the version the
// client named is part of the delete statement, so a write landing between the server's read and its delete
// makes the DELETE a 412 that removed nothing, instead of deleting a version nobody checked.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app.ts";
import { BASE, call, expectScimError, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

let token = "";

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  ({ token } = await issueKey(`del-${crypto.randomUUID().slice(0, 8)}`));
});

/**
 * The real D1 binding, with another client's write landing just before the request's first batch (the
 * delete): the moment between the server's version check and its delete.
 */
function dbWithConcurrentWrite(write: string, id: string): D1Database {
  let done = false;
  return new Proxy(env.DB, {
    get(target, property) {
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (!done) {
            done = true;
            await target.prepare(write).bind(id).run();
          }
          return target.batch(statements);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function deleteRacing(path: string, etag: string, write: string, id: string): Promise<Response> {
  const request = new Request(`${BASE}${path}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}`, "If-Match": etag } });
  return app.fetch(request, { ...env, DB: dbWithConcurrentWrite(write, id) }, createExecutionContext());
}

describe("DELETE with If-Match puts the version into the delete", () => {
  it("a user updated between the version check and the delete: 412, and the user is still there", async () => {
    const created = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "raced-delete" }) });
    const { id } = await json<{ id: string }>(created);
    const etag = created.headers.get("ETag")!;
    const res = await deleteRacing(`/scim/v2/Users/${id}`, etag, "UPDATE users SET version = version + 1 WHERE id = ?", id);
    await expectScimError(res, 412);
    expect((await call(`/scim/v2/Users/${id}`, { token })).status).toBe(200);
    // Named with the current version, the delete goes through.
    const current = (await call(`/scim/v2/Users/${id}`, { token })).headers.get("ETag")!;
    expect((await call(`/scim/v2/Users/${id}`, { method: "DELETE", token, headers: { "If-Match": current } })).status).toBe(204);
  });

  it("a group updated between the version check and the delete: 412, and the group is still there", async () => {
    const created = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: "raced-delete" }) });
    const { id } = await json<{ id: string }>(created);
    const etag = created.headers.get("ETag")!;
    const res = await deleteRacing(`/scim/v2/Groups/${id}`, etag, "UPDATE groups SET version = version + 1 WHERE id = ?", id);
    await expectScimError(res, 412);
    expect((await call(`/scim/v2/Groups/${id}`, { token })).status).toBe(200);
  });

  it("without If-Match a delete still wins over a concurrent update (nothing was promised about versions)", async () => {
    const created = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "plain-delete" }) });
    const { id } = await json<{ id: string }>(created);
    const request = new Request(`${BASE}/scim/v2/Users/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    // A committed delete hands its events to the webhook queue through waitUntil, so it needs an ExecutionContext.
    const ctx = createExecutionContext();
    const res = await app.fetch(request, { ...env, DB: dbWithConcurrentWrite("UPDATE users SET version = version + 1 WHERE id = ?", id) }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(204);
    expect((await call(`/scim/v2/Users/${id}`, { token })).status).toBe(404);
  });

  it("a stale If-Match is still a 412 before anything is written, and an unknown id a 404", async () => {
    const created = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "stale-delete" }) });
    const { id } = await json<{ id: string }>(created);
    await expectScimError(await call(`/scim/v2/Users/${id}`, { method: "DELETE", token, headers: { "If-Match": 'W/"7"' } }), 412);
    await expectScimError(await call("/scim/v2/Users/nobody", { method: "DELETE", token, headers: { "If-Match": 'W/"1"' } }), 404);
  });
});
