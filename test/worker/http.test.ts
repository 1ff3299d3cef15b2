// The HTTP contract of DESIGN.md: routing variants, one error format for every status, content types,
// request ids and the per-request log line.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/body.ts";
import { call, expectScimError, issueKey, json } from "./helpers.ts";

let token = "";
beforeAll(async () => {
  ({ token } = await issueKey("http-co"));
});
afterEach(() => vi.restoreAllMocks());

const user = (userName: string) => JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName });

describe("routing variants", () => {
  for (const path of [
    "/scim/v2/ServiceProviderConfig",
    "/SCIM/v2/ServiceProviderConfig",
    "/Scim/V2/serviceproviderconfig",
    "/scim/v2/ServiceProviderConfig/",
    "/scim/v2//ServiceProviderConfig",
    "//scim/v2///ServiceProviderConfig//",
    "/t/http-co/scim/v2/ServiceProviderConfig",
    "/t/http-co/SCIM/v2//ServiceProviderConfig/",
  ]) {
    it(`serves ${path}`, async () => {
      const res = await call(path, { token });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    });
  }

  it("okta: base URL ending in / produces /scim/v2//Users, which lists users", async () => {
    const res = await call("/scim/v2//Users?filter=userName%20eq%20%22nobody%22&startIndex=1&count=100", { token });
    expect(res.status).toBe(200);
    expect((await json(res)).totalResults).toBe(0);
  });

  it("builds meta.location from PUBLIC_BASE_URL and the tenant, never from Host", async () => {
    const res = await call("/scim/v2/ServiceProviderConfig", { token, headers: { Host: "evil.example" } });
    const body = await json<{ meta: { location: string } }>(res);
    expect(body.meta.location).toBe(`${env.PUBLIC_BASE_URL}/t/http-co/scim/v2/ServiceProviderConfig`);
  });
});

describe("rfc7644 3.12: every error is SCIM JSON", () => {
  it("400 invalidSyntax for malformed JSON", async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: '{"userName": ' });
    const body = await expectScimError(res, 400, "invalidSyntax");
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it("400 invalidSyntax for a JSON body that is not an object", async () => {
    await expectScimError(await call("/scim/v2/Users", { method: "POST", token, body: "[1,2]" }), 400, "invalidSyntax");
  });

  it("400 invalidSyntax for a body that is not UTF-8", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await expectScimError(await call("/scim/v2/Users", { method: "POST", token, body: bytes }), 400, "invalidSyntax");
  });

  it("401 for no credential", async () => {
    await expectScimError(await call("/scim/v2/Users"), 401);
  });

  it("404 for an unknown route, authenticated or not", async () => {
    await expectScimError(await call("/scim/v2/Nope", { token }), 404);
    await expectScimError(await call("/nope"), 404);
    await expectScimError(await call("/"), 404);
  });

  it("404 for a user that does not exist", async () => {
    await expectScimError(await call("/scim/v2/Users/00000000-0000-0000-0000-000000000000", { token }), 404);
  });

  it("405 with Allow for a wrong method", async () => {
    const res = await call("/scim/v2/ServiceProviderConfig", { method: "DELETE", token });
    await expectScimError(res, 405);
    expect(res.headers.get("Allow")).toBe("GET");
    const users = await call("/scim/v2/Users", { method: "DELETE", token });
    await expectScimError(users, 405);
    expect(users.headers.get("Allow")).toBe("GET, POST");
  });

  it("409 uniqueness for a duplicate userName", async () => {
    expect((await call("/scim/v2/Users", { method: "POST", token, body: user("dup@example.com") })).status).toBe(201);
    await expectScimError(await call("/scim/v2/Users", { method: "POST", token, body: user("DUP@example.com") }), 409, "uniqueness");
  });

  it("412 for a stale If-Match", async () => {
    const created = await json<{ id: string }>(await call("/scim/v2/Users", { method: "POST", token, body: user("etag@example.com") }));
    const res = await call(`/scim/v2/Users/${created.id}`, { method: "PUT", token, body: user("etag2@example.com"), headers: { "If-Match": 'W/"99"' } });
    await expectScimError(res, 412);
  });

  it("413 for a body over 1 MiB, declared or streamed", async () => {
    const big = JSON.stringify({ userName: "x".repeat(MAX_BODY_BYTES) });
    await expectScimError(await call("/scim/v2/Users", { method: "POST", token, body: big }), 413);
    const stream = new Blob([big]).stream();
    const res = await call("/scim/v2/Users", { method: "POST", token, body: stream, duplex: "half" } as RequestInit & { token: string });
    await expectScimError(res, 413);
  });

  it("415 for a body that is not JSON", async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: "userName=x", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    await expectScimError(res, 415);
  });

  it("403 for a filter on a discovery endpoint", async () => {
    await expectScimError(await call("/scim/v2/Schemas?filter=id%20pr", { token }), 403);
  });

  it("500 without a stack trace when storage fails unexpectedly", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await env.DB.prepare("ALTER TABLE users RENAME TO users_moved").run();
    try {
      const res = await call("/scim/v2/Users", { token });
      const body = await expectScimError(res, 500);
      expect(JSON.stringify(body)).not.toMatch(/at |\.ts|users_moved|SQLITE/);
      expect(body.detail).toContain("X-Request-Id");
    } finally {
      await env.DB.prepare("ALTER TABLE users_moved RENAME TO users").run();
    }
  });
});

describe("content types", () => {
  for (const type of ["application/scim+json", "application/json", "application/json; charset=utf-8", "application/scim+json;charset=UTF-8"]) {
    it(`okta: accepts request bodies sent as ${type}`, async () => {
      const res = await call("/scim/v2/Users", { method: "POST", token, body: user(`ct-${type.length}-${type.includes("scim")}@example.com`), headers: { "Content-Type": type } });
      expect(res.status).toBe(201);
      expect(res.headers.get("Content-Type")).toBe("application/scim+json; charset=utf-8");
    });
  }
});

describe("request ids and the log line", () => {
  it("echoes a valid X-Request-Id", async () => {
    const res = await call("/scim/v2/ServiceProviderConfig", { token, headers: { "X-Request-Id": "okta-abc.123" } });
    expect(res.headers.get("X-Request-Id")).toBe("okta-abc.123");
  });

  it("replaces an invalid X-Request-Id with a fresh one, also on errors", async () => {
    const res = await call("/nope", { headers: { "X-Request-Id": "bad id with spaces" } });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("never echoes or logs a token sent as X-Request-Id", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const res = await call("/scim/v2/ServiceProviderConfig", { token, headers: { "X-Request-Id": token } });
    expect(res.headers.get("X-Request-Id")).not.toBe(token);
    expect(lines.join("\n")).not.toContain(token.slice(22));
  });

  it("logs one JSON line per request with tenant, key id and status, and never the token or password", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const { record } = await issueKey("http-co", { label: "logger" });
    const body = JSON.stringify({ userName: "logged@example.com", password: "Sup3r-Secret!" });
    const res = await call("/scim/v2/Users", { method: "POST", token, body });
    expect(res.status).toBe(201);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ method: "POST", route: "/scim/v2/Users", tenant: "http-co", status: 201 });
    expect(entry.keyId).toMatch(/^[a-z2-7]{16}$/);
    expect(entry.keyId).not.toBe(record.keyId);
    expect(typeof entry.durationMs).toBe("number");
    expect(entry.requestId).toBe(res.headers.get("X-Request-Id"));
    expect(lines[0]).not.toContain(token.slice(22));
    expect(lines[0]).not.toContain("Sup3r-Secret!");
  });
});
