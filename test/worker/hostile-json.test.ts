// What JSON.parse accepts but a SCIM body must not carry (src/http/body.ts): escapes that are half a surrogate
// pair, a key given twice in one object, nesting past MAX_JSON_DEPTH. Each is a 400 invalidSyntax naming the
// problem, and nothing is stored; the legitimate neighbours of each are accepted and round-trip exactly.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { call, expectScimError, issueKey, json } from "./helpers.ts";
import { checkInvariants } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let token = "";
let tenantId = 0;
let userId = "";

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  const slug = `json-${crypto.randomUUID().slice(0, 8)}`;
  ({ token } = await issueKey(slug));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())?.id ?? 0;
  const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "json-target" }) });
  userId = (await json<{ id: string }>(res)).id;
});

const postUser = (raw: string) => call("/scim/v2/Users", { method: "POST", token, body: raw });
const userCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())?.n ?? 0;

describe("RFC 7643 §2.3.1 strings are Unicode: half a surrogate pair is 400 invalidSyntax", () => {
  // String.raw keeps the backslashes: these are the six characters \ u d 8 0 0 in the JSON text.
  for (const [label, value] of [
    ["a lone high surrogate", String.raw`\ud800`],
    ["a lone low surrogate", String.raw`a\udc00b`],
    ["a reversed pair", String.raw`\ude00\ud83d`],
    ["a high surrogate before an ordinary escape", String.raw`\ud83d\u0041`],
    ["upper-case hex", String.raw`\uD800x`],
  ] as const) {
    it(`${label} in a value is refused and nothing is stored`, async () => {
      const before = await userCount();
      const body = await expectScimError(await postUser(`{"schemas":["${USER}"],"userName":"${value}"}`), 400, "invalidSyntax");
      expect(body.detail).toMatch(/surrogate/);
      expect(await userCount()).toBe(before);
    });
  }

  it("in a key, and in a PATCH path or value, too", async () => {
    await expectScimError(await postUser(String.raw`{"schemas":["${USER}"],"userName":"k","urn:x:y":{"\udfff":1}}`), 400, "invalidSyntax");
    const patch = String.raw`{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"title","value":"x\ud800"}]}`;
    await expectScimError(await call(`/scim/v2/Users/${userId}`, { method: "PATCH", token, body: patch }), 400, "invalidSyntax");
  });

  it("a proper pair (escaped or raw), and an escaped backslash before u, are accepted and round-trip", async () => {
    for (const [raw, expected] of [
      [String.raw`\ud83d\ude00 escaped`, "😀 escaped"],
      ["😀 raw", "😀 raw"],
      [String.raw`\\ud800 is text`, String.raw`\ud800 is text`],
      [String.raw`\\\ud83d\ude00`, "\\😀"],
    ] as const) {
      const res = await postUser(`{"schemas":["${USER}"],"userName":"${raw}"}`);
      expect(res.status, raw).toBe(201);
      const created = await json<{ id: string; userName: string }>(res);
      expect(created.userName).toBe(expected);
      expect((await json(await call(`/scim/v2/Users/${created.id}`, { token }))).userName).toBe(expected);
    }
  });
});

describe("RFC 8259 §4: a key given twice in one object is 400 invalidSyntax, never a silent pick", () => {
  for (const [label, raw] of [
    ["at the top level", `{"schemas":["${USER}"],"userName":"first","userName":"second"}`],
    ["inside an extension", `{"schemas":["${USER}"],"userName":"x","urn:x:y":{"a":1,"b":2,"a":3}}`],
    ["spelled once plainly and once with an escape", `{"schemas":["${USER}"],"userName":"x","urn:x:y":{"a":1,"\\u0061":2}}`],
    ["in a PATCH operation", `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","op":"remove","path":"title"}]}`],
  ] as const) {
    it(`${label}`, async () => {
      const before = await userCount();
      const path = raw.includes(PATCH_OP) ? `/scim/v2/Users/${userId}` : "/scim/v2/Users";
      const body = await expectScimError(await call(path, { method: raw.includes(PATCH_OP) ? "PATCH" : "POST", token, body: raw }), 400, "invalidSyntax");
      expect(body.detail).toMatch(/twice/);
      expect(await userCount()).toBe(before);
    });
  }

  it("the same key in different objects, and keys differing only in case inside free-form extension data, are fine", async () => {
    const raw = `{"schemas":["${USER}"],"userName":"same-key-elsewhere","urn:x:y":{"a":{"a":1},"b":[{"a":1},{"a":2}],"A":3}}`;
    const res = await postUser(raw);
    expect(res.status).toBe(201);
    expect((await json(res))["urn:x:y"]).toEqual({ a: { a: 1 }, b: [{ a: 1 }, { a: 2 }], A: 3 });
  });

  it("schema attributes differing only in case are one attribute given twice (RFC 7643 §2.1): 400 invalidValue", async () => {
    const body = await expectScimError(await postUser(`{"schemas":["${USER}"],"userName":"a","USERNAME":"b"}`), 400, "invalidValue");
    expect(body.detail).toContain("more than once");
  });
});

describe("strings that are odd but valid are stored as sent", () => {
  it("NUL, control characters, a BOM inside a value, and astral characters round-trip", async () => {
    const value = "nul\u0000 tab\t bell\u0007 bom\ufeff astral\u{1F600}\u{10FFFD}";
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: value, title: value }) });
    expect(res.status).toBe(201);
    const created = await json<{ id: string }>(res);
    const read = await json(await call(`/scim/v2/Users/${created.id}`, { token }));
    expect(read.userName).toBe(value);
    expect(read.title).toBe(value);
    expect(await checkInvariants([tenantId])).toEqual([]);
  });

  it("a leading UTF-8 byte order mark before the JSON is skipped", async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: `\ufeff{"schemas":["${USER}"],"userName":"bom-first"}` });
    expect(res.status).toBe(201);
  });
});
