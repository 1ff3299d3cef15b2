// Okta's user lifecycle, request by request, as Okta sends it.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/scim/password.ts";
import { call, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
let token = "";

beforeAll(async () => {
  ({ token } = await issueKey("okta-co", { tenantOrganization: "Okta Co" }));
});

function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER],
    userName,
    name: { givenName: "Ada", familyName: "Lovelace" },
    emails: [{ primary: true, value: userName, type: "work" }],
    displayName: "Ada Lovelace",
    locale: "en-US",
    externalId: `00u${userName.length}abc`,
    groups: [],
    password: "1mP0ss1ble!",
    active: true,
    ...extra,
  };
}

async function create(userName: string, extra: Record<string, unknown> = {}) {
  const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify(oktaUser(userName, extra)) });
  expect(res.status).toBe(201);
  return json<Record<string, unknown> & { id: string; meta: Record<string, string> }>(res);
}

async function storedRow(id: string) {
  return env.DB.prepare("SELECT user_name, active, password_hash, data, version FROM users WHERE id = ?").bind(id).first<{
    user_name: string;
    active: number;
    password_hash: string | null;
    data: string;
    version: number;
  }>();
}

describe("okta: create users", () => {
  it("okta: existence check filter=userName eq answers 200 with totalResults 0 when absent", async () => {
    const res = await call(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@okta.example"')}&startIndex=1&count=100`, { token });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it("okta: create with a placeholder password answers 201 with Location, ETag and no password", async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify(oktaUser("ada@okta.example")) });
    expect(res.status).toBe(201);
    const body = await json<Record<string, unknown> & { id: string; meta: Record<string, string> }>(res);
    expect(res.headers.get("Location")).toBe(`${env.PUBLIC_BASE_URL}/t/okta-co/scim/v2/Users/${body.id}`);
    expect(body.meta.location).toBe(res.headers.get("Location"));
    expect(res.headers.get("ETag")).toBe(body.meta.version);
    expect(body.meta.resourceType).toBe("User");
    expect(body).not.toHaveProperty("password");
    expect(body).toMatchObject({ userName: "ada@okta.example", active: true, name: { givenName: "Ada", familyName: "Lovelace" } });
    const row = await storedRow(body.id);
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256-peppered\$/);
    expect(row!.data).not.toContain("1mP0ss1ble!");
    expect(await verifyPassword("1mP0ss1ble!", row!.password_hash!, env.PASSWORD_PEPPER)).toBe(true);
  });

  it("okta: the tenant's default organization fills enterprise organization when none is given", async () => {
    const body = await create("org@okta.example");
    expect(body.schemas).toContain(ENTERPRISE);
    expect(body[ENTERPRISE]).toEqual({ organization: "Okta Co" });
  });

  it("okta: a given enterprise organization is kept", async () => {
    const body = await create("org2@okta.example", { schemas: [USER, ENTERPRISE], [ENTERPRISE]: { organization: "Other" } });
    expect(body[ENTERPRISE]).toEqual({ organization: "Other" });
  });

  it("okta: the existence check finds the user with the userName in different case", async () => {
    const created = await create("Case.Sensitive@okta.example");
    const res = await call(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "CASE.SENSITIVE@OKTA.EXAMPLE"')}&startIndex=1&count=100`, { token });
    const body = await json<{ totalResults: number; Resources: { id: string }[] }>(res);
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]!.id).toBe(created.id);
  });

  it("okta: a duplicate userName in another case is 409 uniqueness and stores nothing", async () => {
    await create("dupe@okta.example");
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify(oktaUser("DUPE@okta.example")) });
    expect(res.status).toBe(409);
    expect((await json(res)).scimType).toBe("uniqueness");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE user_name_key = ?").bind("dupe@okta.example").first<{ n: number }>();
    expect(count!.n).toBe(1);
  });
});

describe("okta: update user attributes", () => {
  it("okta: GET then full PUT on profile change", async () => {
    const created = await create("put@okta.example");
    const got = await json<Record<string, unknown>>(await call(`/scim/v2/Users/${created.id}`, { token }));
    // Okta echoes what it read, id, meta and groups included, with the changed attributes.
    const changed = { ...got, name: { givenName: "Augusta", familyName: "King" }, displayName: "Augusta King", title: "Countess" };
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PUT", token, body: JSON.stringify(changed) });
    expect(res.status).toBe(200);
    const body = await json<Record<string, unknown> & { meta: Record<string, string> }>(res);
    expect(body).toMatchObject({ id: created.id, title: "Countess", name: { givenName: "Augusta", familyName: "King" } });
    expect(body.meta.created).toBe(created.meta.created);
    expect(body.meta.version).not.toBe(created.meta.version);
    const row = await storedRow(created.id);
    expect(JSON.parse(row!.data)).toMatchObject({ title: "Countess", displayName: "Augusta King" });
    // PUT without a password keeps the stored hash.
    expect(await verifyPassword("1mP0ss1ble!", row!.password_hash!, env.PASSWORD_PEPPER)).toBe(true);
  });

  it("okta: PUT may change the userName, which stays unique", async () => {
    const a = await create("rename-a@okta.example");
    await create("rename-b@okta.example");
    const ok = await call(`/scim/v2/Users/${a.id}`, { method: "PUT", token, body: JSON.stringify({ ...oktaUser("renamed@okta.example"), id: a.id }) });
    expect(ok.status).toBe(200);
    expect((await storedRow(a.id))!.user_name).toBe("renamed@okta.example");
    const clash = await call(`/scim/v2/Users/${a.id}`, { method: "PUT", token, body: JSON.stringify(oktaUser("Rename-B@okta.example")) });
    expect(clash.status).toBe(409);
    expect((await storedRow(a.id))!.user_name).toBe("renamed@okta.example");
  });

  it("okta: PUT with another resource's id in the body is rejected and changes nothing", async () => {
    const a = await create("idmismatch@okta.example");
    const before = await storedRow(a.id);
    const res = await call(`/scim/v2/Users/${a.id}`, { method: "PUT", token, body: JSON.stringify({ ...oktaUser("x@okta.example"), id: "someone-else" }) });
    expect(res.status).toBe(400);
    expect(await storedRow(a.id)).toEqual(before);
  });
});

describe("okta: deactivate and reactivate", () => {
  it("okta: deactivate via PATCH without path, then the user stays readable and listable", async () => {
    const created = await create("deact@okta.example");
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] };
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PATCH", token, body: JSON.stringify(patch) });
    expect(res.status).toBe(200);
    expect((await json(res)).active).toBe(false);
    expect((await storedRow(created.id))!.active).toBe(0);
    expect((await call(`/scim/v2/Users/${created.id}`, { token })).status).toBe(200);
    const list = await json<{ Resources: { id: string; active: boolean }[] }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "deact@okta.example"')}`, { token }),
    );
    expect(list.Resources).toEqual([expect.objectContaining({ id: created.id, active: false })]);
  });

  it("okta: reactivate via PATCH without path", async () => {
    const created = await create("react@okta.example", { active: false });
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: true } }] };
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PATCH", token, body: JSON.stringify(patch) });
    expect((await json(res)).active).toBe(true);
    expect((await storedRow(created.id))!.active).toBe(1);
  });

  it("okta: filter active eq false lists only deactivated users", async () => {
    await create("inactive-1@okta.example", { active: false });
    const res = await call(`/scim/v2/Users?filter=${encodeURIComponent("active eq false")}&count=1000`, { token });
    const body = await json<{ Resources: { active: boolean }[] }>(res);
    expect(body.Resources.length).toBeGreaterThan(0);
    expect(body.Resources.every((u) => u.active === false)).toBe(true);
  });
});

describe("okta: sync passwords", () => {
  it("okta: password sync via PATCH replace without path", async () => {
    const created = await create("pw@okta.example");
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { password: "N3w-Passw0rd" } }] };
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PATCH", token, body: JSON.stringify(patch) });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain("N3w-Passw0rd");
    const row = await storedRow(created.id);
    expect(await verifyPassword("N3w-Passw0rd", row!.password_hash!, env.PASSWORD_PEPPER)).toBe(true);
    expect(await verifyPassword("1mP0ss1ble!", row!.password_hash!, env.PASSWORD_PEPPER)).toBe(false);
  });

  it("okta: password sync via PATCH with path", async () => {
    const created = await create("pw2@okta.example");
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "password", value: "Path-Passw0rd" }] };
    expect((await call(`/scim/v2/Users/${created.id}`, { method: "PATCH", token, body: JSON.stringify(patch) })).status).toBe(200);
    expect(await verifyPassword("Path-Passw0rd", (await storedRow(created.id))!.password_hash!, env.PASSWORD_PEPPER)).toBe(true);
  });

  it("okta: password sync via PUT", async () => {
    const created = await create("pw3@okta.example");
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PUT", token, body: JSON.stringify({ ...oktaUser("pw3@okta.example"), password: "Put-Passw0rd" }) });
    expect(res.status).toBe(200);
    expect(await verifyPassword("Put-Passw0rd", (await storedRow(created.id))!.password_hash!, env.PASSWORD_PEPPER)).toBe(true);
  });

  it("a password is never filterable", async () => {
    const res = await call(`/scim/v2/Users?filter=${encodeURIComponent('password eq "1mP0ss1ble!"')}`, { token });
    expect(res.status).toBe(400);
    expect((await json(res)).scimType).toBe("invalidFilter");
  });

  it("a password is never returned, even when asked for", async () => {
    const created = await create("pw4@okta.example");
    const res = await call(`/scim/v2/Users/${created.id}?attributes=password,userName`, { token });
    const text = await res.text();
    expect(text).not.toContain("password");
  });
});

describe("okta: import users", () => {
  it("okta: import paging with count=100 across several pages, stable order, integer paging fields", async () => {
    const { token: importToken } = await issueKey("okta-import");
    const created: string[] = [];
    for (let i = 0; i < 230; i++) {
      const res = await call("/scim/v2/Users", {
        method: "POST",
        token: importToken,
        body: JSON.stringify({ schemas: [USER], userName: `import-${String(i).padStart(3, "0")}@okta.example` }),
      });
      created.push((await json<{ id: string }>(res)).id);
    }
    const seen: string[] = [];
    for (let startIndex = 1; startIndex <= 230; startIndex += 100) {
      const res = await call(`/scim/v2/Users?startIndex=${startIndex}&count=100`, { token: importToken });
      expect(res.status).toBe(200);
      const page = await json<{ totalResults: unknown; startIndex: unknown; itemsPerPage: unknown; Resources: { id: string }[] }>(res);
      expect(page.totalResults).toBe(230);
      expect(page.startIndex).toBe(startIndex);
      expect(page.itemsPerPage).toBe(Math.min(100, 230 - startIndex + 1));
      expect(Number.isInteger(page.totalResults) && Number.isInteger(page.startIndex) && Number.isInteger(page.itemsPerPage)).toBe(true);
      seen.push(...page.Resources.map((r) => r.id));
    }
    expect(seen).toEqual(created);
    // The same page twice is the same page.
    const again = await json<{ Resources: { id: string }[] }>(await call("/scim/v2/Users?startIndex=101&count=100", { token: importToken }));
    expect(again.Resources.map((r) => r.id)).toEqual(created.slice(100, 200));
  });
});

describe("okta: delete", () => {
  it("DELETE answers 204 and the user is gone", async () => {
    const created = await create("delete@okta.example");
    expect((await call(`/scim/v2/Users/${created.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await call(`/scim/v2/Users/${created.id}`, { token })).status).toBe(404);
    expect(await storedRow(created.id)).toBeNull();
    expect((await call(`/scim/v2/Users/${created.id}`, { method: "DELETE", token })).status).toBe(404);
  });
});
