// A PATCH that only sets top-level single-valued attributes (Okta's and Entra's activation changes, Entra's
// attribute replaces, Okta's group rename) is applied by one batch in SQL (assignUserAttributes,
// assignGroupAttributes), without reading the resource first. The judge is the ordinary path: the same PATCH
// sent with If-Match (which always reads, then writes with updateUser / updateGroup) to an identical twin must
// leave the same stored row, answer the same body and emit the same events. Each request's round trips show
// which path it took.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectScimError, headCursor, issueKey, json, readFeed, type FeedEvent } from "./helpers.ts";

const TENANT = "assign-co";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let scim = "";
let app = "";
type Kind = "Users" | "Groups";
/** A twin, and what tells it from the other by construction: its id and its userName or displayName. */
interface Twin {
  kind: Kind;
  id: string;
  name: string;
}
/** The user twins and the group twins: [direct, judge], created alike but for their names. */
const twins: Twin[] = [];
const groupTwins: Twin[] = [];

beforeAll(async () => {
  scim = (await issueKey(TENANT)).token;
  app = (await issueKey(TENANT, { scope: "app", label: "backend" })).token;
  for (const userName of ["twin-direct@assign.example", "twin-judge@assign.example"]) {
    const res = await call("/scim/v2/Users", {
      method: "POST",
      token: scim,
      body: JSON.stringify({
        schemas: [USER],
        userName,
        externalId: "same-ext",
        displayName: "Twin",
        title: "Engineer",
        name: { givenName: "Twin", familyName: "Straße" },
        emails: [{ value: "twin@assign.example", type: "work", primary: true }],
        active: true,
      }),
    });
    expect(res.status).toBe(201);
    twins.push({ kind: "Users", id: (await json<{ id: string }>(res)).id, name: userName });
  }
  // The groups' member is neither user twin, whose responses would then name different groups.
  const member = await call("/scim/v2/Users", { method: "POST", token: scim, body: JSON.stringify({ schemas: [USER], userName: "member@assign.example" }) });
  const memberId = (await json<{ id: string }>(member)).id;
  for (const displayName of ["Twin Group Direct", "Twin Group Judge"]) {
    const res = await call("/scim/v2/Groups", {
      method: "POST",
      token: scim,
      body: JSON.stringify({ schemas: [GROUP], displayName, externalId: "same-group-ext", members: [{ value: memberId }] }),
    });
    expect(res.status).toBe(201);
    groupTwins.push({ kind: "Groups", id: (await json<{ id: string }>(res)).id, name: displayName });
  }
});

interface Outcome {
  status: number;
  trips: number;
  body: unknown;
  stored: Record<string, unknown>;
  events: unknown[];
}

/** What differs between the twins by construction: id, name (as sent and folded), times. */
function comparable(value: unknown, twin: Twin): unknown {
  const text = JSON.stringify(value ?? null)
    .replaceAll(twin.id, "<id>")
    .replaceAll(twin.name, "<name>")
    .replaceAll(twin.name.toLowerCase(), "<name>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>");
  return JSON.parse(text);
}

async function storedRow(twin: Pick<Twin, "kind" | "id">): Promise<Record<string, unknown>> {
  if (twin.kind === "Groups") {
    return (await env.DB.prepare("SELECT data, folded_data, display_name, display_name_key, external_id, version, member_count FROM groups WHERE id = ?")
      .bind(twin.id)
      .first<Record<string, unknown>>())!;
  }
  const row = await env.DB.prepare(
    "SELECT data, folded_data, user_name_key, external_id, display_name, display_name_key, active, version, password_hash FROM users WHERE id = ?",
  )
    .bind(twin.id)
    .first<Record<string, unknown>>();
  const emails = await env.DB.prepare("SELECT value_key, type, is_primary FROM user_emails WHERE user_seq = (SELECT seq FROM users WHERE id = ?) ORDER BY value_key")
    .bind(twin.id)
    .all();
  return { ...row, emails: emails.results };
}

async function send(twin: Twin, operations: unknown[], judge: boolean): Promise<Outcome> {
  const before = await storedRow(twin);
  const head = await headCursor(app);
  const res = await call(`/scim/v2/${twin.kind}/${twin.id}${twin.kind === "Groups" ? "?attributes=displayName,externalId,members" : ""}`, {
    method: "PATCH",
    token: scim,
    headers: judge ? { "If-Match": `W/"${String(before.version)}"` } : {},
    body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }),
  });
  const trips = Number(/round_trips=(\d+)/.exec(res.headers.get("Server-Timing") ?? "")?.[1]);
  const body = await res.json();
  const events = (await readFeed(app, head)).events.map(({ id: _id, requestId: _request, ...event }: FeedEvent) => event);
  return { status: res.status, trips, body: comparable(body, twin), stored: comparable(await storedRow(twin), twin) as Record<string, unknown>, events: comparable(events, twin) as unknown[] };
}

/** Sends `operations` to both twins of `pair` and checks they ended alike; answers the direct twin's outcome. */
async function both(operations: unknown[], pair: Twin[] = twins): Promise<Outcome> {
  const direct = await send(pair[0]!, operations, false);
  const judge = await send(pair[1]!, operations, true);
  expect(direct.status).toBe(judge.status);
  expect(direct.body).toEqual(judge.body);
  expect(direct.stored).toEqual(judge.stored);
  expect(direct.events).toEqual(judge.events);
  return direct;
}

/** Sends `operations` to `twin` without If-Match and expects the error, with the twin's stored row unchanged. */
async function expectRefusedWithoutWrite(twin: Twin, operations: unknown[], status: number, scimType: string): Promise<void> {
  const before = await storedRow(twin);
  const res = await call(`/scim/v2/${twin.kind}/${twin.id}`, { method: "PATCH", token: scim, body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }) });
  await expectScimError(res, status, scimType);
  expect(await storedRow(twin)).toEqual(before);
}

describe("a PATCH of single-valued attributes, in one batch, ends as the read-then-write path does", () => {
  it("okta: deactivate ({op: replace, value: {active: false}}): user.deactivated, active column, 1 round trip", async () => {
    const out = await both([{ op: "replace", value: { active: false } }]);
    expect(out.trips).toBe(1);
    expect(out.events.map((e) => (e as FeedEvent).type)).toEqual(["user.deactivated"]);
    expect(out.stored.active).toBe(0);
  });

  it("okta: deactivating again changes nothing and emits nothing, 1 round trip", async () => {
    const out = await both([{ op: "replace", value: { active: false } }]);
    expect(out.trips).toBe(1);
    expect(out.events).toEqual([]);
  });

  it("okta: reactivate: user.reactivated", async () => {
    const out = await both([{ op: "replace", value: { active: true } }]);
    expect(out.events.map((e) => (e as FeedEvent).type)).toEqual(["user.reactivated"]);
  });

  it('entra: {"op":"Replace","path":"active","value":"False"}, then "True"', async () => {
    expect((await both([{ op: "Replace", path: "active", value: "False" }])).trips).toBe(1);
    expect((await both([{ op: "Replace", path: "active", value: "True" }])).trips).toBe(1);
  });

  it("entra: Replace displayName with accented capitals: the folded JSON and key column fold it as a full write does", async () => {
    const out = await both([{ op: "Replace", path: "displayName", value: "ÉMILE Straße" }]);
    expect(out.trips).toBe(1);
    expect(out.events.map((e) => [(e as FeedEvent).type, (e as FeedEvent).changed])).toEqual([["user.updated", ["displayName"]]]);
    expect(out.stored.display_name_key).toBe("émile strasse");
  });

  it("several attributes and a reactivation in one request: user.updated (changed sorted) then user.deactivated, one version", async () => {
    const out = await both([
      { op: "replace", path: "title", value: "Staff Engineer" },
      { op: "add", path: "externalId", value: "new-ext" },
      { op: "replace", value: { displayName: "Twin Again", active: false } },
      { op: "replace", path: "title", value: "Principal" },
    ]);
    expect(out.trips).toBe(1);
    const events = out.events as FeedEvent[];
    expect(events.map((e) => [e.type, e.changed])).toEqual([["user.updated", ["displayName", "externalId", "title"]], ["user.deactivated", undefined]]);
    expect(new Set(events.map((e) => e.version)).size).toBe(1);
    expect(events[0]!.externalId).toBe("new-ext");
  });

  it("a value equal to the stored one is no change, beside one that is", async () => {
    const out = await both([{ op: "replace", value: { displayName: "Twin Again", title: "Lead" } }]);
    expect((out.events as FeedEvent[]).map((e) => e.changed)).toEqual([["title"]]);
  });

  it("an attribute not stored yet (nickName) is written the usual way (the refused batch, then read and write: 3 round trips), the same result", async () => {
    const out = await both([{ op: "add", path: "nickName", value: "Twinny" }]);
    expect(out.trips).toBe(3);
  });

  it("entra: an empty string clears the attribute: the usual way, the same result", async () => {
    const out = await both([{ op: "Replace", path: "title", value: "" }]);
    expect(out.trips).toBe(2);
    expect(JSON.parse(String(out.stored.data)).title).toBeUndefined();
  });

  it("a userName change (case only) moves the unique key, as a full write does", async () => {
    for (const [i, twin] of twins.entries()) {
      const res = await call(`/scim/v2/Users/${twin.id}`, {
        method: "PATCH",
        token: scim,
        headers: i === 1 ? { "If-Match": `W/"${String((await storedRow(twin)).version)}"` } : {},
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "userName", value: twin.name.toUpperCase() }] }),
      });
      expect(res.status).toBe(200);
      expect((await storedRow(twin)).user_name_key).toBe(twin.name);
      twin.name = twin.name.toUpperCase();
    }
    expect(JSON.parse(String((await storedRow(twins[0]!)).data)).userName).toBe(twins[0]!.name);
  });

  it("a userName taken by another user: 409 uniqueness, nothing written", async () => {
    await expectRefusedWithoutWrite(twins[0]!, [{ op: "replace", path: "userName", value: twins[1]!.name.toLowerCase() }], 409, "uniqueness");
  });

  it("a value the schema refuses: the same 400 either way, nothing written", async () => {
    const before = await storedRow(twins[0]!);
    const out = await both([{ op: "replace", path: "active", value: "maybe" }]);
    expect(out.status).toBe(400);
    expect(await storedRow(twins[0]!)).toEqual(before);
  });

  it("a user that is not there: 404", async () => {
    const res = await call("/scim/v2/Users/00000000-0000-4000-8000-000000000000", {
      method: "PATCH",
      token: scim,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] }),
    });
    await expectScimError(res, 404);
  });

  it("a row written before migration 0005 (no folded_data) is written the usual way, which folds it", async () => {
    await env.DB.prepare("UPDATE users SET folded_data = NULL WHERE id IN (?, ?)").bind(twins[0]!.id, twins[1]!.id).run();
    const out = await both([{ op: "replace", value: { active: true } }]);
    expect(out.trips).toBe(3);
    expect(out.stored.folded_data).not.toBeNull();
  });
});

describe("the most a PATCH of single-valued attributes can name", () => {
  it("every single-valued User attribute and a deactivation in one request: one batch within D1's 100 bound parameters, as the usual path ends", async () => {
    const every = (suffix: string) => ({
      displayName: `All ${suffix}`,
      nickName: `nick ${suffix}`,
      profileUrl: `https://example.com/${suffix}`,
      title: `Title ${suffix}`,
      userType: `Type ${suffix}`,
      preferredLanguage: "de-CH",
      locale: "de-CH",
      timezone: "Europe/Zurich",
      externalId: `ext ${suffix}`,
      active: true,
    });
    const pair: Twin[] = [];
    for (const userName of ["every-direct@assign.example", "every-judge@assign.example"]) {
      const res = await call("/scim/v2/Users", { method: "POST", token: scim, body: JSON.stringify({ schemas: [USER], userName, ...every("before") }) });
      expect(res.status).toBe(201);
      pair.push({ kind: "Users", id: (await json<{ id: string }>(res)).id, name: userName });
    }
    const out = await both([{ op: "replace", value: { ...every("after"), active: false, locale: "fr-CH", preferredLanguage: "fr-CH" } }], pair);
    expect(out.status).toBe(200);
    expect(out.trips).toBe(1);
    expect((out.events as FeedEvent[]).map((e) => [e.type, e.changed])).toEqual([
      ["user.updated", ["displayName", "externalId", "locale", "nickName", "preferredLanguage", "profileUrl", "title", "userType"]],
      ["user.deactivated", undefined],
    ]);
  });
});

describe("a group rename or externalId replace, in one batch, ends as the read-then-write path does", () => {
  it("okta: rename ({op: replace, value: {id, displayName}}): group.updated, the key column folded, members kept, 1 round trip", async () => {
    for (const twin of groupTwins) twin.name = twin.name.replace("Twin Group", "Renamed ÉQUIPE");
    const direct = await send(groupTwins[0]!, [{ op: "replace", value: { id: groupTwins[0]!.id, displayName: groupTwins[0]!.name } }], false);
    const judge = await send(groupTwins[1]!, [{ op: "replace", value: { id: groupTwins[1]!.id, displayName: groupTwins[1]!.name } }], true);
    expect(direct.trips).toBe(1);
    expect(judge.trips).toBe(2);
    expect([direct.status, direct.body, direct.stored, direct.events]).toEqual([judge.status, judge.body, judge.stored, judge.events]);
    expect((direct.events as FeedEvent[]).map((e) => [e.type, e.changed])).toEqual([["group.updated", ["displayName"]]]);
    expect((await storedRow(groupTwins[0]!)).display_name_key).toBe("renamed équipe direct");
    expect((direct.body as { members: unknown[] }).members).toHaveLength(1);
  });

  it('entra: {"op":"Replace","path":"externalId",...}, then the same again (no change, no event)', async () => {
    expect((await both([{ op: "Replace", path: "externalId", value: "entra-object-id" }], groupTwins)).trips).toBe(1);
    const again = await both([{ op: "Replace", path: "externalId", value: "entra-object-id" }], groupTwins);
    expect(again.events).toEqual([]);
  });

  it("another group's name: 409 uniqueness, nothing written", async () => {
    await expectRefusedWithoutWrite(groupTwins[0]!, [{ op: "replace", path: "displayName", value: groupTwins[1]!.name.toUpperCase() }], 409, "uniqueness");
  });

  it("a path-less value echoing another id is the usual path's 400", async () => {
    const res = await call(`/scim/v2/Groups/${groupTwins[0]!.id}`, {
      method: "PATCH",
      token: scim,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { id: groupTwins[1]!.id, displayName: "Whatever" } }] }),
    });
    expect(res.status).toBe(400);
  });
});
