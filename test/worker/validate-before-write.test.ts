// Every parameter of a write is validated before anything is written (no partial write behind an error):
// `POST /Users?attributes=nope` created the user and then answered 400, so a client retrying the "failed"
// request met a 409 for a user it believed was never created.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { call, expectScimError, issueKey, json } from "./helpers.ts";
import { storedRows } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let token = "";
let tenantId = 0;
let userId = "";
let groupId = "";

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  const slug = `vbw-${crypto.randomUUID().slice(0, 8)}`;
  ({ token } = await issueKey(slug));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())?.id ?? 0;
  userId = (await json<{ id: string }>(await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "kept" }) }))).id;
  groupId = (await json<{ id: string }>(await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: "kept" }) }))).id;
});

const patchBody = (operations: unknown[]) => JSON.stringify({ schemas: [PATCH_OP], Operations: operations });

describe("a write with an unknown attribute in attributes/excludedAttributes is a 400 that changed no row", () => {
  const cases = () => [
    { name: "POST /Users?attributes=nope", method: "POST", path: "/scim/v2/Users?attributes=nope", body: JSON.stringify({ schemas: [USER], userName: "created-then-400" }) },
    { name: "POST /Users?excludedAttributes=nope", method: "POST", path: "/scim/v2/Users?excludedAttributes=nope", body: JSON.stringify({ schemas: [USER], userName: "created-then-400b" }) },
    { name: "PUT /Users/{id}?attributes=nope", method: "PUT", path: `/scim/v2/Users/${userId}?attributes=nope`, body: JSON.stringify({ schemas: [USER], userName: "renamed" }) },
    { name: "PATCH /Users/{id}?attributes=nope", method: "PATCH", path: `/scim/v2/Users/${userId}?attributes=nope`, body: patchBody([{ op: "replace", path: "displayName", value: "changed" }]) },
    { name: "POST /Groups?attributes=nope", method: "POST", path: "/scim/v2/Groups?attributes=nope", body: JSON.stringify({ schemas: [GROUP], displayName: "created-then-400" }) },
    { name: "PATCH /Groups/{id}?attributes=nope", method: "PATCH", path: `/scim/v2/Groups/${groupId}?attributes=nope`, body: patchBody([{ op: "replace", path: "displayName", value: "changed" }]) },
  ];

  it("each request, one by one", async () => {
    for (const c of cases()) {
      const before = await storedRows([tenantId]);
      const res = await call(c.path, { method: c.method, token, body: c.body });
      const body = await expectScimError(res, 400, "invalidValue");
      expect(body.detail, c.name).toContain('"nope"');
      expect(await storedRows([tenantId]), `${c.name} changed stored rows`).toBe(before);
    }
    // And the resources read back as they were.
    expect((await json(await call(`/scim/v2/Users/${userId}`, { token }))).userName).toBe("kept");
    expect((await json<{ totalResults: number }>(await call("/scim/v2/Users", { token }))).totalResults).toBe(1);
  });

  it("the same writes with valid projections succeed and project the response", async () => {
    const res = await call("/scim/v2/Users?attributes=userName", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "projected" }) });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.userName).toBe("projected");
    expect(body.meta).toBeUndefined();
  });
});
