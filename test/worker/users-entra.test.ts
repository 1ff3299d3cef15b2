// Microsoft Entra ID's user provisioning requests, as Entra sends them.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
let token = "";

beforeAll(async () => {
  ({ token } = await issueKey("entra-co"));
});

type Resource = Record<string, unknown> & { id: string };

async function entraCreate(n: string): Promise<Resource> {
  const body = {
    schemas: [USER, ENTERPRISE],
    externalId: `ext-${n}`,
    userName: `Test_User_${n}@contoso.example`,
    active: true,
    emails: [{ primary: true, type: "work", value: `Test_User_${n}@contoso.example` }],
    meta: { resourceType: "User" },
    name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
    roles: [],
  };
  const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return json<Resource>(res);
}

async function patch(id: string, operations: unknown[]): Promise<Response> {
  return call(`/scim/v2/Users/${id}`, { method: "PATCH", token, body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }) });
}

async function stored(id: string): Promise<Record<string, unknown> & { active: number; external_id: string | null }> {
  const row = await env.DB.prepare("SELECT data, active, external_id FROM users WHERE id = ?").bind(id).first<{ data: string; active: number; external_id: string | null }>();
  return { ...(JSON.parse(row!.data) as Record<string, unknown>), active: row!.active, external_id: row!.external_id };
}

describe("entra: user provisioning", () => {
  it("entra: Test Connection filter on a random GUID answers 200 empty", async () => {
    const guid = crypto.randomUUID();
    for (const attribute of ["userName", "externalId", "id"]) {
      const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(`${attribute} eq "${guid}"`)}`, { token });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ totalResults: 0, Resources: [] });
    }
  });

  it('entra: filter=externalId eq "..." finds the user (case-exact)', async () => {
    const user = await entraCreate("ext1");
    const hit = await json<{ totalResults: number; Resources: Resource[] }>(await call(`/scim/v2/Users?filter=${encodeURIComponent('externalId eq "ext-ext1"')}`, { token }));
    expect(hit.totalResults).toBe(1);
    expect(hit.Resources[0]!.id).toBe(user.id);
    const miss = await json<{ totalResults: number }>(await call(`/scim/v2/Users?filter=${encodeURIComponent('externalId eq "EXT-EXT1"')}`, { token }));
    expect(miss.totalResults).toBe(0);
  });

  it("entra: Replace and Add ops with capitalised names", async () => {
    const user = await entraCreate("ops");
    const res = await patch(user.id, [
      { op: "Replace", path: "displayName", value: "Entra Display" },
      { op: "Add", path: "nickName", value: "Nick" },
      { op: "Replace", path: "name.familyName", value: "Family" },
    ]);
    expect(res.status).toBe(200);
    const body = await json<Resource>(res);
    expect(body).toMatchObject({ displayName: "Entra Display", nickName: "Nick", name: { givenName: "givenName", familyName: "Family" } });
    expect(await stored(user.id)).toMatchObject({ displayName: "Entra Display", nickName: "Nick" });
  });

  it('entra: Replace active with "value":"False" deactivates', async () => {
    const user = await entraCreate("false");
    const res = await patch(user.id, [{ op: "Replace", path: "active", value: "False" }]);
    expect(res.status).toBe(200);
    expect((await json(res)).active).toBe(false);
    expect((await stored(user.id)).active).toBe(0);
  });

  it('entra: Add on active with "True" reactivates', async () => {
    const user = await entraCreate("addactive");
    await patch(user.id, [{ op: "Replace", path: "active", value: "False" }]);
    const res = await patch(user.id, [{ op: "Add", path: "active", value: "True" }]);
    expect((await json(res)).active).toBe(true);
    expect((await stored(user.id)).active).toBe(1);
  });

  it('entra: Replace emails[type eq "work"].value changes the work email and its index', async () => {
    const user = await entraCreate("mail");
    const res = await patch(user.id, [{ op: "Replace", path: 'emails[type eq "work"].value', value: "new.mail@contoso.example" }]);
    expect(res.status).toBe(200);
    expect((await json(res)).emails).toEqual([{ primary: true, type: "work", value: "new.mail@contoso.example" }]);
    const byEmail = await json<{ totalResults: number }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent('emails.value eq "NEW.MAIL@contoso.example"')}`, { token }),
    );
    expect(byEmail.totalResults).toBe(1);
    const old = await json<{ totalResults: number }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent('emails[value eq "Test_User_mail@contoso.example"]')}`, { token }),
    );
    expect(old.totalResults).toBe(0);
  });

  it("entra: enterprise manager sent as a plain id, as an object and as an array", async () => {
    const manager = await entraCreate("boss");
    const user = await entraCreate("report");
    const path = `${ENTERPRISE}:manager`;
    for (const value of [manager.id, { value: manager.id }, [{ value: manager.id }]]) {
      await patch(user.id, [{ op: "Remove", path }]);
      const res = await patch(user.id, [{ op: "Add", path, value }]);
      expect(res.status).toBe(200);
      expect(((await json(res))[ENTERPRISE] as Record<string, unknown>).manager).toEqual({ value: manager.id });
      expect(((await stored(user.id))[ENTERPRISE] as Record<string, unknown>).manager).toEqual({ value: manager.id });
    }
  });

  it("entra: path-less Replace with dotted keys and URN-qualified keys", async () => {
    const user = await entraCreate("dotted");
    const res = await patch(user.id, [
      {
        op: "Replace",
        value: { "name.givenName": "Grace", "name.familyName": "Hopper", [`${ENTERPRISE}:department`]: "Navy", title: "RADM" },
      },
    ]);
    expect(res.status).toBe(200);
    const body = await json<Resource>(res);
    expect(body).toMatchObject({ name: { givenName: "Grace", familyName: "Hopper", formatted: "givenName familyName" }, title: "RADM" });
    expect(body[ENTERPRISE]).toEqual({ department: "Navy" });
    expect(await stored(user.id)).toMatchObject({ name: { givenName: "Grace" }, [ENTERPRISE]: { department: "Navy" } });
  });

  it("entra: Replace externalId keeps the indexed column in step", async () => {
    const user = await entraCreate("extchange");
    await patch(user.id, [{ op: "Replace", path: "externalId", value: "ext-changed" }]);
    expect((await stored(user.id)).external_id).toBe("ext-changed");
  });

  it("entra: a repeated PATCH that changes nothing keeps the version and writes no row", async () => {
    const user = await entraCreate("repeat");
    const first = await patch(user.id, [{ op: "Replace", path: "displayName", value: "Same" }]);
    expect(first.status).toBe(200);
    const again = await patch(user.id, [{ op: "Replace", path: "displayName", value: "Same" }]);
    expect(again.status).toBe(200);
    expect(again.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(again.headers.get("Server-Timing")).toMatch(/rows_written=0 /);
    const changed = await patch(user.id, [{ op: "Replace", path: "displayName", value: "Different" }]);
    expect(changed.headers.get("ETag")).not.toBe(first.headers.get("ETag"));
  });

  it("entra: soft delete (active False) then DELETE", async () => {
    const user = await entraCreate("bye");
    await patch(user.id, [{ op: "Replace", path: "active", value: "False" }]);
    expect((await call(`/scim/v2/Users/${user.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await call(`/scim/v2/Users/${user.id}`, { token })).status).toBe(404);
  });
});

describe("PATCH errors change nothing", () => {
  async function expectUnchanged(id: string, operations: unknown[], status: number, scimType: string) {
    const before = await env.DB.prepare("SELECT data, version FROM users WHERE id = ?").bind(id).first();
    const res = await patch(id, operations);
    expect(res.status).toBe(status);
    expect((await json(res)).scimType).toBe(scimType);
    expect(await env.DB.prepare("SELECT data, version FROM users WHERE id = ?").bind(id).first()).toEqual(before);
  }

  it("a failing third op leaves the first two unapplied", async () => {
    const user = await entraCreate("atomic");
    await expectUnchanged(user.id, [
      { op: "replace", path: "displayName", value: "changed" },
      { op: "replace", path: "title", value: "changed" },
      { op: "replace", path: "noSuchAttribute", value: "x" },
    ], 400, "invalidPath");
  });

  it("a readOnly attribute is a mutability error", async () => {
    const user = await entraCreate("ro");
    await expectUnchanged(user.id, [{ op: "replace", path: "id", value: "new-id" }], 400, "mutability");
    await expectUnchanged(user.id, [{ op: "replace", path: "meta.created", value: "2020-01-01T00:00:00Z" }], 400, "mutability");
  });

  it("removing the required userName is a mutability error", async () => {
    const user = await entraCreate("req");
    await expectUnchanged(user.id, [{ op: "remove", path: "userName" }], 400, "mutability");
  });

  it("a value filter matching nothing (not an eq upsert) is noTarget", async () => {
    const user = await entraCreate("notarget");
    await expectUnchanged(user.id, [{ op: "replace", path: 'emails[value co "nothing-here"].type', value: "home" }], 400, "noTarget");
  });

  it('a boolean that is neither true nor false ("maybe") is invalidValue', async () => {
    const user = await entraCreate("maybe");
    await expectUnchanged(user.id, [{ op: "replace", path: "active", value: "maybe" }], 400, "invalidValue");
  });

  it("a PATCH without the PatchOp schema is invalidSyntax", async () => {
    const user = await entraCreate("noschema");
    const res = await call(`/scim/v2/Users/${user.id}`, { method: "PATCH", token, body: JSON.stringify({ Operations: [{ op: "replace", value: { active: false } }] }) });
    expect(res.status).toBe(400);
    expect((await json(res)).scimType).toBe("invalidSyntax");
  });

  it("a renamed userName that is taken is 409 and changes nothing", async () => {
    await entraCreate("taken");
    const user = await entraCreate("wants");
    await expectUnchanged(user.id, [{ op: "replace", path: "userName", value: "TEST_USER_taken@contoso.example" }], 409, "uniqueness");
  });

  it("PATCH on an unknown id is 404", async () => {
    const res = await patch("00000000-0000-4000-8000-000000000000", [{ op: "replace", value: { active: false } }]);
    expect(res.status).toBe(404);
  });
});
