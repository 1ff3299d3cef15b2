// Every request limit is a documented constant, served exactly at the boundary and refused one past it with a 4xx
// whose detail names the limit (README, "Paging, sorting and search": the list of limits). The filter limits are
// also run with the costliest filter shapes against D1, whose own limits (100 bound parameters, expression depth
// 100) they exist to stay under.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../../src/http/body.ts";
import { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from "../../src/scim/filter/parse.ts";
import { MAX_COUNT } from "../../src/scim/list-query.ts";
import { MAX_PATCH_OPERATIONS, MAX_PATCH_VALUES } from "../../src/scim/patch/types.ts";
import { MAX_EXTENSION_DEPTH, MAX_MULTI_VALUES, MAX_PASSWORD_LENGTH, MAX_STRING_LENGTH } from "../../src/scim/validate/limits.ts";
import { bulkId, call, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";
import { checkInvariants } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/** More users than one page may hold, so `count` above MAX_COUNT has something to cut. */
const SEEDED = MAX_COUNT + 5;

let token = "";
let tenantId = 0;
let groupId = "";

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  const slug = `limits-${crypto.randomUUID().slice(0, 8)}`;
  ({ token } = await issueKey(slug));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())?.id ?? 0;
  await seedUsers(tenantId, 1, SEEDED);
  const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: "limits" }) });
  expect(res.status).toBe(201);
  groupId = (await json<{ id: string }>(res)).id;
});

const post = (path: string, body: unknown) => call(path, { method: "POST", token, body: typeof body === "string" ? body : JSON.stringify(body) });
const patch = (path: string, operations: unknown[]) => call(path, { method: "PATCH", token, body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }) });
const list = (resource: string, filter: string, extra = "") => call(`/scim/v2/${resource}?filter=${encodeURIComponent(filter)}${extra}`, { token });

async function expectDetail(res: Response, status: number, scimType: string | undefined, ...parts: string[]): Promise<void> {
  const body = await expectScimError(res, status, scimType);
  for (const part of parts) expect(body.detail).toContain(part);
}

describe(`body size: MAX_BODY_BYTES (${MAX_BODY_BYTES} bytes), 413`, () => {
  /** A valid User body padded with JSON whitespace to exactly `bytes` bytes. */
  const padded = (userName: string, bytes: number) => {
    const core = JSON.stringify({ schemas: [USER], userName });
    return `${core.slice(0, -1)}${" ".repeat(bytes - core.length)}}`;
  };

  it("a body of exactly MAX_BODY_BYTES is read and served", async () => {
    const body = padded("at-the-byte-limit", MAX_BODY_BYTES);
    expect(new TextEncoder().encode(body).byteLength).toBe(MAX_BODY_BYTES);
    expect((await post("/scim/v2/Users", body)).status).toBe(201);
  });

  it("one byte more is 413 naming the limit", async () => {
    await expectDetail(await post("/scim/v2/Users", padded("past-the-byte-limit", MAX_BODY_BYTES + 1)), 413, undefined, `${MAX_BODY_BYTES} bytes`);
  });

  it("a streamed body without Content-Length is cut off at the limit too", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const res = await call("/scim/v2/Users", { method: "POST", token, body: stream });
    await expectDetail(res, 413, undefined, `${MAX_BODY_BYTES} bytes`);
  });

  it("a declared Content-Length over the limit is refused before the body is read", async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: "{}", headers: { "Content-Length": String(MAX_BODY_BYTES + 1) } });
    // workerd may recompute Content-Length from the actual body; either way nothing oversized is accepted.
    expect([400, 413]).toContain(res.status);
    await expectScimError(res, res.status);
  });
});

describe(`JSON nesting: MAX_JSON_DEPTH (${MAX_JSON_DEPTH}), 400 invalidSyntax`, () => {
  /** A User body nesting `depth` levels deep: the body object is level 1, "urn:x:y" holds the rest. */
  const nestedBody = (depth: number) => {
    let inner = '"leaf"';
    for (let i = 0; i < depth - 1; i++) inner = `{"a":${inner}}`;
    return `{"schemas":["${USER}"],"userName":"deep-${depth}","urn:x:y":${inner}}`;
  };

  it("at the limit the body is parsed (and refused by the extension depth rule, not the syntax check)", async () => {
    await expectDetail(await post("/scim/v2/Users", nestedBody(MAX_JSON_DEPTH)), 400, "invalidValue", `at most ${MAX_EXTENSION_DEPTH} levels`);
  });

  it("one level more is 400 invalidSyntax naming the limit, even 500,000 levels deep", async () => {
    await expectDetail(await post("/scim/v2/Users", nestedBody(MAX_JSON_DEPTH + 1)), 400, "invalidSyntax", `${MAX_JSON_DEPTH} levels`);
    await expectDetail(await post("/scim/v2/Users", "[".repeat(500_000) + "]".repeat(500_000)), 400, "invalidSyntax");
    const deep = `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"urn:x:y:z","value":${"[".repeat(400_000)}${"]".repeat(400_000)}}]}`;
    await expectDetail(await call(`/scim/v2/Users/${bulkId(1)}`, { method: "PATCH", token, body: deep }), 400, "invalidSyntax", `${MAX_JSON_DEPTH} levels`);
  });

  it("extension data at MAX_EXTENSION_DEPTH is stored; one level more is 400 invalidValue", async () => {
    /** `depth` objects nested in one another: the extension object itself is level 1. */
    const extension = (depth: number) => {
      let value: unknown = "leaf";
      for (let i = 0; i < depth; i++) value = { a: value };
      return value;
    };
    expect((await post("/scim/v2/Users", { schemas: [USER], userName: "ext-at-limit", "urn:x:y": extension(MAX_EXTENSION_DEPTH) })).status).toBe(201);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: "ext-past-limit", "urn:x:y": extension(MAX_EXTENSION_DEPTH + 1) }), 400, "invalidValue", `at most ${MAX_EXTENSION_DEPTH} levels`);
  });
});

describe(`filter length: MAX_FILTER_LENGTH (${MAX_FILTER_LENGTH} characters), 400 invalidFilter`, () => {
  const ofLength = (n: number) => `userName eq "${"x".repeat(n - 14)}"`;

  it("exactly MAX_FILTER_LENGTH characters is answered", async () => {
    expect(ofLength(MAX_FILTER_LENGTH)).toHaveLength(MAX_FILTER_LENGTH);
    const res = await list("Users", ofLength(MAX_FILTER_LENGTH));
    expect(res.status).toBe(200);
    expect((await json(res)).totalResults).toBe(0);
  });

  it("one character more is 400 invalidFilter naming the limit", async () => {
    await expectDetail(await list("Users", ofLength(MAX_FILTER_LENGTH + 1)), 400, "invalidFilter", `at most ${MAX_FILTER_LENGTH}`);
    const search = await post("/scim/v2/Users/.search", { schemas: [SEARCH], filter: ofLength(MAX_FILTER_LENGTH + 1) });
    await expectDetail(search, 400, "invalidFilter", `at most ${MAX_FILTER_LENGTH}`);
  });
});

/** `not (` × n around `inner`. */
const nots = (n: number, inner: string) => `${"not (".repeat(n)}${inner}${")".repeat(n)}`;
/** `n` comparisons made by `leaf`, joined by `join`. */
const chain = (n: number, leaf: (i: number) => string, join = " or ") => Array.from({ length: n }, (_, i) => leaf(i)).join(join);

describe(`filter depth: MAX_FILTER_DEPTH (${MAX_FILTER_DEPTH} levels of "(", "not (" and "["), 400 invalidFilter`, () => {
  it("MAX_FILTER_DEPTH levels are answered; one more is 400 invalidFilter naming the limit", async () => {
    expect((await list("Users", nots(MAX_FILTER_DEPTH, "userName pr"))).status).toBe(200);
    expect((await list("Users", `${"(".repeat(MAX_FILTER_DEPTH)}userName pr${")".repeat(MAX_FILTER_DEPTH)}`)).status).toBe(200);
    await expectDetail(await list("Users", nots(MAX_FILTER_DEPTH + 1, "userName pr")), 400, "invalidFilter", `at most ${MAX_FILTER_DEPTH} levels`);
    await expectDetail(await list("Groups", nots(MAX_FILTER_DEPTH, 'members[value eq "x"]')), 400, "invalidFilter", `at most ${MAX_FILTER_DEPTH} levels`);
  });
});

describe(`filter comparisons: MAX_FILTER_COMPARISONS (${MAX_FILTER_COMPARISONS}), 400 invalidFilter`, () => {
  it("MAX_FILTER_COMPARISONS comparisons are answered; one more is 400 invalidFilter naming the limit", async () => {
    const res = await list("Users", chain(MAX_FILTER_COMPARISONS, (i) => `userName eq "${bulkId(i + 1)}@example.com"`));
    expect(res.status).toBe(200);
    expect((await json(res)).totalResults).toBe(MAX_FILTER_COMPARISONS);
    const over = chain(MAX_FILTER_COMPARISONS + 1, (i) => `userName eq "${bulkId(i + 1)}@example.com"`);
    await expectDetail(await list("Users", over), 400, "invalidFilter", `at most ${MAX_FILTER_COMPARISONS}`);
    await expectDetail(await list("Users", `emails[${chain(MAX_FILTER_COMPARISONS + 1, (i) => `value eq "${i}"`)}]`), 400, "invalidFilter", `at most ${MAX_FILTER_COMPARISONS}`);
  });

  // Before these limits a filter of ~100 short terms, or 32 "not (" around a member filter, was a 500 from D1
  // ("too many SQL variables", "Expression tree is too large (maximum depth 100)").
  const costliest: [string, string][] = [
    ["Users", chain(MAX_FILTER_COMPARISONS, (i) => `addresses.locality sw "a${i}"`)],
    ["Users", nots(MAX_FILTER_DEPTH, chain(MAX_FILTER_COMPARISONS, (i) => `addresses.locality sw "a${i}"`))],
    ["Users", nots(MAX_FILTER_DEPTH - 1, `addresses[${chain(MAX_FILTER_COMPARISONS, (i) => `locality sw "a${i}"`)}]`)],
    ["Users", nots(MAX_FILTER_DEPTH - 1, `emails[${chain(MAX_FILTER_COMPARISONS, (i) => `value ne "a${i}"`)}]`)],
    ["Users", nots(MAX_FILTER_DEPTH - 1, chain(MAX_FILTER_COMPARISONS / 2, (i) => `not (emails.value ne "a${i}")`, " and "))],
    ["Users", nots(MAX_FILTER_DEPTH, chain(MAX_FILTER_COMPARISONS, () => "userName eq null"))],
    ["Groups", nots(MAX_FILTER_DEPTH, chain(MAX_FILTER_COMPARISONS, (i) => `members.$ref sw "a${i}"`))],
    ["Groups", nots(MAX_FILTER_DEPTH - 1, `members[${chain(MAX_FILTER_COMPARISONS, (i) => `$ref sw "a${i}"`)}]`)],
    ["Groups", nots(MAX_FILTER_DEPTH - 1, `members[${chain(MAX_FILTER_COMPARISONS, (i) => `display ne "a${i}"`)}]`)],
    ["Groups", nots(MAX_FILTER_DEPTH, chain(MAX_FILTER_COMPARISONS, (i) => `meta.location sw "a${i}"`))],
  ];
  for (const [resource, filter] of costliest) {
    it(`the costliest shapes at both limits are answered by D1: ${resource} ${filter.slice(0, 70)}…`, async () => {
      for (const extra of ["", "&sortBy=meta.created&sortOrder=descending&startIndex=3&count=7", "&cursor=&count=5"]) {
        const res = await list(resource, filter, extra);
        expect(res.status, `${extra}: ${JSON.stringify(await res.clone().json())}`).toBe(200);
        await res.arrayBuffer();
      }
      const search = await post(`/scim/v2/${resource}/.search`, { schemas: [SEARCH], filter, sortBy: "meta.lastModified", count: 3 });
      expect(search.status).toBe(200);
      await search.arrayBuffer();
    });
  }
});

describe(`PATCH operations: MAX_PATCH_OPERATIONS (${MAX_PATCH_OPERATIONS}) per request, 400 invalidValue`, () => {
  it("MAX_PATCH_OPERATIONS operations are applied; one more is 400 naming the limit and changes nothing", async () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ op: "replace", path: "title", value: `title ${i}` }));
    const ok = await patch(`/scim/v2/Users/${bulkId(2)}`, ops(MAX_PATCH_OPERATIONS));
    expect(ok.status).toBe(200);
    expect((await json(ok)).title).toBe(`title ${MAX_PATCH_OPERATIONS - 1}`);
    await expectDetail(await patch(`/scim/v2/Users/${bulkId(2)}`, ops(MAX_PATCH_OPERATIONS + 1)), 400, "invalidValue", `at most ${MAX_PATCH_OPERATIONS}`);
    expect((await json(await call(`/scim/v2/Users/${bulkId(2)}`, { token }))).title).toBe(`title ${MAX_PATCH_OPERATIONS - 1}`);
  });
});

describe(`members per PATCH value: MAX_PATCH_VALUES (${MAX_PATCH_VALUES}), 400 invalidValue`, () => {
  const members = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ value: bulkId(from + i) }));

  it("MAX_PATCH_VALUES members in one value are added; one more is 400 naming the limit and adds none", async () => {
    const ok = await patch(`/scim/v2/Groups/${groupId}`, [{ op: "add", path: "members", value: members(1, MAX_PATCH_VALUES) }]);
    expect(ok.status).toBe(204);
    await expectDetail(await patch(`/scim/v2/Groups/${groupId}`, [{ op: "add", path: "members", value: members(1, MAX_PATCH_VALUES + 1) }]), 400, "invalidValue", `at most ${MAX_PATCH_VALUES}`);
    await expectDetail(await patch(`/scim/v2/Groups/${groupId}`, [{ op: "remove", path: "members", value: members(1, MAX_PATCH_VALUES + 1) }]), 400, "invalidValue", `at most ${MAX_PATCH_VALUES}`);
    const group = await json<{ members: unknown[] }>(await call(`/scim/v2/Groups/${groupId}`, { token }));
    expect(group.members).toHaveLength(MAX_PATCH_VALUES);
    expect(await checkInvariants([tenantId])).toEqual([]);
  });
});

describe(`attribute value length: MAX_STRING_LENGTH (${MAX_STRING_LENGTH} characters), 400 invalidValue`, () => {
  const at = "x".repeat(MAX_STRING_LENGTH);
  const past = "x".repeat(MAX_STRING_LENGTH + 1);

  it("POST: a userName, title or extension value of MAX_STRING_LENGTH is stored; one more is 400 naming attribute and limit", async () => {
    expect((await post("/scim/v2/Users", { schemas: [USER], userName: `a${at.slice(1)}`, title: at, "urn:x:y": { note: at } })).status).toBe(201);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: past }), 400, "invalidValue", '"userName"', `at most ${MAX_STRING_LENGTH}`);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: "t", title: past }), 400, "invalidValue", '"title"', `at most ${MAX_STRING_LENGTH}`);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: "e", "urn:x:y": { note: past } }), 400, "invalidValue", "urn:x:y.note", `at most ${MAX_STRING_LENGTH}`);
    await expectDetail(await post("/scim/v2/Groups", { schemas: [GROUP], displayName: past }), 400, "invalidValue", '"displayName"', `at most ${MAX_STRING_LENGTH}`);
  });

  it("PATCH: a value one past the limit is 400 naming the limit, also for a member id, which skips resource validation", async () => {
    expect((await patch(`/scim/v2/Users/${bulkId(3)}`, [{ op: "replace", path: "title", value: at }])).status).toBe(200);
    await expectDetail(await patch(`/scim/v2/Users/${bulkId(3)}`, [{ op: "replace", path: "title", value: past }]), 400, "invalidValue", `at most ${MAX_STRING_LENGTH}`);
    await expectDetail(await patch(`/scim/v2/Groups/${groupId}`, [{ op: "add", path: "members", value: [{ value: past }] }]), 400, "invalidValue", `at most ${MAX_STRING_LENGTH}`);
  });

  it(`password: MAX_PASSWORD_LENGTH (${MAX_PASSWORD_LENGTH}) is accepted; one more is 400 naming the limit`, async () => {
    expect((await post("/scim/v2/Users", { schemas: [USER], userName: "pw-at", password: "p".repeat(MAX_PASSWORD_LENGTH) })).status).toBe(201);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: "pw-past", password: "p".repeat(MAX_PASSWORD_LENGTH + 1) }), 400, "invalidValue", `at most ${MAX_PASSWORD_LENGTH}`);
  });

  it(`multi-valued attributes: MAX_MULTI_VALUES (${MAX_MULTI_VALUES}) emails are stored; one more is 400 naming the limit`, async () => {
    const emails = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `e${i}@example.com`, type: "work" }));
    expect((await post("/scim/v2/Users", { schemas: [USER], userName: "many-emails", emails: emails(MAX_MULTI_VALUES) })).status).toBe(201);
    await expectDetail(await post("/scim/v2/Users", { schemas: [USER], userName: "too-many-emails", emails: emails(MAX_MULTI_VALUES + 1) }), 400, "invalidValue", `at most ${MAX_MULTI_VALUES}`);
    expect(await checkInvariants([tenantId])).toEqual([]);
  });
});

describe(`count: at most MAX_COUNT (${MAX_COUNT}) per page, RFC 7644 §3.4.2.4`, () => {
  // RFC 7644 §3.4.2.4: "A value that is greater than [the maximum] SHALL be interpreted as the maximum": a larger
  // count is served, not refused, and ServiceProviderConfig advertises the maximum as filter.maxResults.
  it("ServiceProviderConfig advertises MAX_COUNT as filter.maxResults", async () => {
    const config = await json<{ filter: { maxResults: number } }>(await call("/scim/v2/ServiceProviderConfig", { token }));
    expect(config.filter.maxResults).toBe(MAX_COUNT);
  });

  for (const count of [MAX_COUNT, MAX_COUNT + 1, 1_000_000]) {
    it(`count=${count} returns exactly MAX_COUNT of the ${SEEDED}+ users, with the true totalResults`, async () => {
      const body = await json<{ itemsPerPage: number; totalResults: number; Resources: unknown[] }>(
        await call(`/scim/v2/Users?count=${count}&attributes=userName`, { token }),
      );
      expect(body.itemsPerPage).toBe(MAX_COUNT);
      expect(body.Resources).toHaveLength(MAX_COUNT);
      expect(body.totalResults).toBeGreaterThan(MAX_COUNT);
    });
  }

  it("a count that is not an integer, or out of range, is 400 invalidValue", async () => {
    await expectScimError(await call("/scim/v2/Users?count=1e3", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?count=99999999999999999999", { token }), 400, "invalidValue");
  });
});
