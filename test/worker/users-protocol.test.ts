// /Users protocol details: attribute selection, ETags, validation, extensions, tenant isolation, discovery.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
let token = "";
let otherToken = "";

beforeAll(async () => {
  ({ token } = await issueKey("proto-co"));
  ({ token: otherToken } = await issueKey("proto-other"));
});

type Resource = Record<string, unknown> & { id: string; meta: Record<string, string> };

async function create(body: Record<string, unknown>, as = token): Promise<Resource> {
  const res = await call("/scim/v2/Users", { method: "POST", token: as, body: JSON.stringify({ schemas: [USER], ...body }) });
  expect(res.status).toBe(201);
  return json<Resource>(res);
}

async function userCount(tenant: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = ?").bind(tenant).first<{ n: number }>();
  return row!.n;
}

describe("rfc7644 3.4.2.5 attributes and excludedAttributes", () => {
  it("attributes= returns only what was asked, plus id and schemas", async () => {
    const user = await create({ userName: "attrs@proto.example", title: "T", name: { givenName: "G", familyName: "F" } });
    const body = await json(await call(`/scim/v2/Users/${user.id}?attributes=userName,name.givenName`, { token }));
    expect(body).toEqual({ schemas: [USER], id: user.id, userName: "attrs@proto.example", name: { givenName: "G" } });
  });

  it("excludedAttributes= drops what was named", async () => {
    const user = await create({ userName: "excl@proto.example", title: "T", emails: [{ value: "excl@proto.example" }] });
    const body = await json(await call(`/scim/v2/Users/${user.id}?excludedAttributes=emails,title`, { token }));
    expect(body).not.toHaveProperty("emails");
    expect(body).not.toHaveProperty("title");
    expect(body).toMatchObject({ id: user.id, userName: "excl@proto.example" });
  });

  it("applies to list responses", async () => {
    await create({ userName: "listattr@proto.example", title: "X" });
    const body = await json<{ Resources: Record<string, unknown>[] }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "listattr@proto.example"')}&attributes=userName`, { token }),
    );
    expect(Object.keys(body.Resources[0]!).sort()).toEqual(["id", "schemas", "userName"]);
  });

  it("an unknown attribute name is 400 invalidValue", async () => {
    const res = await call("/scim/v2/Users?attributes=nope", { token });
    expect(res.status).toBe(400);
    expect((await json(res)).scimType).toBe("invalidValue");
  });
});

describe("rfc7644 3.14 versions", () => {
  it("GET with If-None-Match of the current version answers 304", async () => {
    const user = await create({ userName: "etag304@proto.example" });
    const res = await call(`/scim/v2/Users/${user.id}`, { token, headers: { "If-None-Match": user.meta.version! } });
    expect(res.status).toBe(304);
    const changed = await call(`/scim/v2/Users/${user.id}`, { token, headers: { "If-None-Match": 'W/"999"' } });
    expect(changed.status).toBe(200);
  });

  it("PATCH and DELETE with a stale If-Match are 412 and change nothing", async () => {
    const user = await create({ userName: "etag412@proto.example" });
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { title: "new" } }] };
    const ok = await call(`/scim/v2/Users/${user.id}`, { method: "PATCH", token, body: JSON.stringify(patch), headers: { "If-Match": user.meta.version! } });
    expect(ok.status).toBe(200);
    const stale = await call(`/scim/v2/Users/${user.id}`, { method: "PATCH", token, body: JSON.stringify(patch), headers: { "If-Match": user.meta.version! } });
    expect(stale.status).toBe(412);
    const del = await call(`/scim/v2/Users/${user.id}`, { method: "DELETE", token, headers: { "If-Match": user.meta.version! } });
    expect(del.status).toBe(412);
    expect((await call(`/scim/v2/Users/${user.id}`, { token })).status).toBe(200);
  });
});

describe("validation: bad input is a precise 400 and stores nothing", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["missing userName", { name: { givenName: "x" } }, "invalidValue", /userName/],
    ["country not a string", { userName: "c@p.example", addresses: [{ country: 49 }] }, "invalidValue", /country/],
    ["timezone over 2048 characters", { userName: "t@p.example", timezone: "x".repeat(2049) }, "invalidValue", /timezone/],
    ["profileUrl not an http(s) URL", { userName: "pu@p.example", profileUrl: "javascript:alert(1)" }, "invalidValue", /profileUrl/],
    ["active not boolean", { userName: "a@p.example", active: "sometimes" }, "invalidValue", /active/],
    ["unknown attribute", { userName: "u@p.example", favouriteColour: "blue" }, "invalidValue", /favouriteColour/],
    ["two primary emails", { userName: "pe@p.example", emails: [{ value: "a@x.example", primary: true }, { value: "b@x.example", primary: true }] }, "invalidValue", /primary/],
  ];
  for (const [name, body, scimType, detail] of cases) {
    it(name, async () => {
      const before = await userCount("proto-co");
      const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], ...body }) });
      expect(res.status).toBe(400);
      const error = await json<{ scimType: string; detail: string }>(res);
      expect(error.scimType).toBe(scimType);
      expect(error.detail).toMatch(detail);
      expect(await userCount("proto-co")).toBe(before);
    });
  }

  it("advisory formats: a country name, unknown language, locale, time zone and an email without @ are stored and returned as sent", async () => {
    const sent = {
      preferredLanguage: "xx-YY",
      locale: "not a locale!",
      timezone: "Mars/Olympus",
      addresses: [{ country: "Germany", type: "work" }],
      emails: [{ value: "bjensen", type: "work" }],
    };
    const user = await create({ userName: "advisory@proto.example", ...sent });
    expect(user).toMatchObject(sent);
    const read = await json<Record<string, unknown>>(await call(`/scim/v2/Users/${user.id}`, { token }));
    expect(read).toMatchObject(sent);
  });

  it("valid formats are accepted", async () => {
    const user = await create({ userName: "formats@proto.example", preferredLanguage: "de", locale: "en-US", timezone: "Europe/Berlin", addresses: [{ country: "DE", type: "work" }] });
    expect(user).toMatchObject({ preferredLanguage: "de", locale: "en-US", timezone: "Europe/Berlin", addresses: [{ country: "DE", type: "work" }] });
  });
});

describe("extensions", () => {
  it("okta: a custom extension the server does not know round-trips losslessly", async () => {
    const custom = { costCode: "A-17", flags: { vip: true, tier: 3 }, tags: ["x", "y"] };
    const user = await create({ schemas: [USER, ACME], userName: "custom@proto.example", [ACME]: custom });
    expect(user[ACME]).toEqual(custom);
    expect(user.schemas).toContain(ACME);
    const read = await json<Resource>(await call(`/scim/v2/Users/${user.id}`, { token }));
    expect(read[ACME]).toEqual(custom);
  });

  it("the enterprise extension is validated and returned", async () => {
    const user = await create({ schemas: [USER, ENTERPRISE], userName: "ent@proto.example", [ENTERPRISE]: { employeeNumber: "42", department: "Ops", manager: { value: "m-1" } } });
    expect(user[ENTERPRISE]).toEqual({ employeeNumber: "42", department: "Ops", manager: { value: "m-1" } });
  });
});

describe("tenant isolation", () => {
  it("another tenant's user id is 404 for GET, PUT, PATCH and DELETE, and stays unchanged", async () => {
    const theirs = await create({ userName: "theirs@proto.example" }, otherToken);
    const before = await env.DB.prepare("SELECT data, version FROM users WHERE id = ?").bind(theirs.id).first();
    expect((await call(`/scim/v2/Users/${theirs.id}`, { token })).status).toBe(404);
    expect((await call(`/scim/v2/Users/${theirs.id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [USER], userName: "stolen" }) })).status).toBe(404);
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] };
    expect((await call(`/scim/v2/Users/${theirs.id}`, { method: "PATCH", token, body: JSON.stringify(patch) })).status).toBe(404);
    expect((await call(`/scim/v2/Users/${theirs.id}`, { method: "DELETE", token })).status).toBe(404);
    expect(await env.DB.prepare("SELECT data, version FROM users WHERE id = ?").bind(theirs.id).first()).toEqual(before);
  });

  it("lists and filters see only the caller's tenant", async () => {
    await create({ userName: "same-name@proto.example" });
    await create({ userName: "same-name@proto.example" }, otherToken);
    const body = await json<{ totalResults: number; Resources: Resource[] }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "same-name@proto.example"')}`, { token }),
    );
    expect(body.totalResults).toBe(1);
    const all = await json<{ totalResults: number }>(await call("/scim/v2/Users?count=0", { token }));
    expect(all.totalResults).toBe(await userCount("proto-co"));
  });
});

describe("discovery describes exactly what is supported", () => {
  it("ServiceProviderConfig advertises patch, filter with maxResults, etag and the three auth schemes", async () => {
    const body = await json<Record<string, { supported: boolean; maxResults?: number }> & { authenticationSchemes: { type: string }[] }>(
      await call("/scim/v2/ServiceProviderConfig", { token }),
    );
    expect(body.patch!.supported).toBe(true);
    expect(body.filter).toEqual({ supported: true, maxResults: 1000 });
    expect(body.etag!.supported).toBe(true);
    expect(body.bulk!.supported).toBe(false);
    expect(body.authenticationSchemes.map((s) => s.type)).toEqual(["oauthbearertoken", "oauth2", "httpbasic"]);
  });

  it("/ResourceTypes lists User with the enterprise extension", async () => {
    const body = await json<{ Resources: { id: string; schemaExtensions: unknown[] }[] }>(await call("/scim/v2/ResourceTypes", { token }));
    const user = body.Resources.find((r) => r.id === "User");
    expect(user!.schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    expect((await call("/scim/v2/ResourceTypes/User", { token })).status).toBe(200);
  });

  it("/Schemas describes the User and enterprise attributes", async () => {
    const body = await json<{ Resources: { id: string; attributes: { name: string; mutability: string; returned: string }[] }[] }>(
      await call("/scim/v2/Schemas", { token }),
    );
    const user = body.Resources.find((s) => s.id === USER)!;
    const names = user.attributes.map((a) => a.name);
    for (const name of ["userName", "name", "emails", "phoneNumbers", "ims", "photos", "addresses", "x509Certificates", "entitlements", "roles", "groups", "password", "timezone", "preferredLanguage"]) {
      expect(names).toContain(name);
    }
    expect(user.attributes.find((a) => a.name === "password")).toMatchObject({ mutability: "writeOnly", returned: "never" });
    const enterprise = await json<{ attributes: { name: string }[] }>(await call(`/scim/v2/Schemas/${ENTERPRISE}`, { token }));
    expect(enterprise.attributes.map((a) => a.name)).toEqual(["employeeNumber", "costCenter", "organization", "division", "department", "manager"]);
  });
});
