// The change feed's replay property (README, "The sync protocol"): after ANY sequence of SCIM writes (users, groups, memberships, deletes, no-ops, rejected
// requests, several writers at once, by scim and app keys), replaying the feed from its start rebuilds exactly
// the directory that SCIM GET shows: every user with its version and resource, every group with its version,
// every membership. Each case runs in a fresh tenant.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import { call, issueKey, json, readFeed, type FeedEvent } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Command =
  | { kind: "createUser"; name: number; active: boolean }
  | { kind: "putUser"; user: number; given: number; active: boolean }
  | { kind: "patchActive"; user: number; active: boolean }
  | { kind: "setPassword"; user: number }
  | { kind: "deleteUser"; user: number }
  | { kind: "createGroup"; name: number; members: number[] }
  | { kind: "addMembers"; group: number; members: number[] }
  | { kind: "removeMembers"; group: number; members: number[] }
  | { kind: "replaceMembers"; group: number; members: number[] }
  | { kind: "nestGroup"; group: number; inner: number }
  | { kind: "renameGroup"; group: number; name: number }
  | { kind: "deleteGroup"; group: number }
  | { kind: "rejected"; which: number };

const ix = fc.nat(20);
const some = fc.array(fc.nat(20), { maxLength: 4 });
// Creates weigh more, so that most later commands find something to change.
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("createUser" as const), name: fc.nat(8), active: fc.boolean() }), weight: 6 },
  fc.record({ kind: fc.constant("putUser" as const), user: ix, given: fc.nat(2), active: fc.boolean() }),
  fc.record({ kind: fc.constant("patchActive" as const), user: ix, active: fc.boolean() }),
  fc.record({ kind: fc.constant("setPassword" as const), user: ix }),
  fc.record({ kind: fc.constant("deleteUser" as const), user: ix }),
  { arbitrary: fc.record({ kind: fc.constant("createGroup" as const), name: fc.nat(5), members: some }), weight: 3 },
  fc.record({ kind: fc.constant("addMembers" as const), group: ix, members: some }),
  fc.record({ kind: fc.constant("removeMembers" as const), group: ix, members: some }),
  fc.record({ kind: fc.constant("replaceMembers" as const), group: ix, members: some }),
  fc.record({ kind: fc.constant("nestGroup" as const), group: ix, inner: ix }),
  fc.record({ kind: fc.constant("renameGroup" as const), group: ix, name: fc.nat(5) }),
  fc.record({ kind: fc.constant("deleteGroup" as const), group: ix }),
  fc.record({ kind: fc.constant("rejected" as const), which: fc.nat(3) }),
);
/** A step is one command, or several sent at once (concurrent writers). */
const step = fc.array(fc.record({ command, app: fc.boolean() }), { minLength: 1, maxLength: 3 });

interface Run {
  tokens: { scim: string; app: string };
  users: string[];
  groups: string[];
}

const pick = (ids: string[], i: number) => (ids.length === 0 ? "missing-id" : ids[i % ids.length]!);

async function send(run: Run, c: Command, app: boolean): Promise<number> {
  const token = app ? run.tokens.app : run.tokens.scim;
  const req = async (method: string, path: string, body?: unknown) => {
    const res = await call(`/scim/v2${path}`, { method, token, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text };
  };
  const patch = (path: string, ...ops: unknown[]) => req("PATCH", path, { schemas: [PATCH_OP], Operations: ops });
  const members = (idxs: number[]) => idxs.map((i) => ({ value: pick(run.users, i) })).filter((m) => m.value !== "missing-id");
  let r: { status: number; body: string };
  switch (c.kind) {
    case "createUser":
      r = await req("POST", "/Users", { schemas: [USER], userName: `user-${c.name}@example.com`, active: c.active, name: { givenName: "G0" } });
      if (r.status === 201) run.users.push((JSON.parse(r.body) as { id: string }).id);
      return r.status;
    case "putUser": {
      const id = pick(run.users, c.user);
      const current = await call(`/scim/v2/Users/${id}?excludedAttributes=groups`, { token });
      if (current.status !== 200) return current.status;
      const { meta: _meta, ...resource } = await json<Record<string, unknown>>(current);
      return (await req("PUT", `/Users/${id}`, { ...resource, name: { givenName: `G${c.given}` }, active: c.active })).status;
    }
    case "patchActive":
      return (await patch(`/Users/${pick(run.users, c.user)}`, { op: "replace", value: { active: c.active } })).status;
    case "setPassword":
      return (await patch(`/Users/${pick(run.users, c.user)}`, { op: "replace", path: "password", value: "Pass-word-1" })).status;
    case "deleteUser":
      return (await req("DELETE", `/Users/${pick(run.users, c.user)}`)).status;
    case "createGroup":
      r = await req("POST", "/Groups", { schemas: [GROUP], displayName: `group-${c.name}`, members: members(c.members) });
      if (r.status === 201) run.groups.push((JSON.parse(r.body) as { id: string }).id);
      return r.status;
    case "addMembers":
      return (await patch(`/Groups/${pick(run.groups, c.group)}`, { op: "add", path: "members", value: members(c.members) })).status;
    case "removeMembers":
      return (await patch(`/Groups/${pick(run.groups, c.group)}`, { op: "remove", path: "members", value: members(c.members) })).status;
    case "replaceMembers":
      return (await patch(`/Groups/${pick(run.groups, c.group)}`, { op: "replace", path: "members", value: members(c.members) })).status;
    case "nestGroup":
      return (await patch(`/Groups/${pick(run.groups, c.group)}`, { op: "add", path: "members", value: [{ value: pick(run.groups, c.inner), type: "Group" }] })).status;
    case "renameGroup":
      return (await patch(`/Groups/${pick(run.groups, c.group)}`, { op: "replace", path: "displayName", value: `group-${c.name}` })).status;
    case "deleteGroup":
      return (await req("DELETE", `/Groups/${pick(run.groups, c.group)}`)).status;
    case "rejected": {
      const bodies = [
        () => req("POST", "/Users", { schemas: [USER] }),
        () => patch(`/Groups/${pick(run.groups, 0)}`, { op: "add", path: "members", value: [{ value: "no-such-user" }] }),
        () => req("PUT", `/Users/${pick(run.users, 0)}`, { schemas: [USER], userName: 42 }),
        () => patch(`/Users/${pick(run.users, 1)}`, { op: "explode", path: "active", value: true }),
      ];
      return (await bodies[c.which % bodies.length]!()).status;
    }
  }
}

interface Model {
  users: Map<string, { version: number; data: Record<string, unknown> }>;
  groups: Map<string, { version: number; displayName: unknown }>;
  members: Set<string>;
}

const versionOf = (etag: string) => Number(/^W\/"(\d+)"$/.exec(etag)?.[1] ?? NaN);

/** What an application does with the feed: versions decide, so a replayed event never goes backwards. */
function replay(events: FeedEvent[]): Model {
  const model: Model = { users: new Map(), groups: new Map(), members: new Set() };
  const leave = (memberId: string, groups: string[]) => {
    for (const g of groups) {
      model.members.delete(`${g}|${memberId}`);
      const group = model.groups.get(g);
      // A member's deletion advances the version of each group it left by one.
      if (group) group.version += 1;
    }
  };
  for (const e of events) {
    const version = versionOf(e.version);
    if (e.resourceType === "User") {
      if (e.type === "user.deleted") {
        model.users.delete(e.resourceId);
        leave(e.resourceId, e.groups ?? []);
      } else if ((model.users.get(e.resourceId)?.version ?? 0) <= version) {
        model.users.set(e.resourceId, { version, data: e.data });
      }
      continue;
    }
    if (e.type === "group.deleted") {
      model.groups.delete(e.resourceId);
      for (const key of [...model.members]) if (key.startsWith(`${e.resourceId}|`)) model.members.delete(key);
      leave(e.resourceId, e.groups ?? []);
      continue;
    }
    if ((model.groups.get(e.resourceId)?.version ?? 0) <= version) {
      model.groups.set(e.resourceId, { version, displayName: e.data.displayName });
    }
    for (const m of e.members ?? []) {
      if (e.type === "group.members_added") model.members.add(`${e.resourceId}|${m.value}`);
      else model.members.delete(`${e.resourceId}|${m.value}`);
    }
  }
  return model;
}

/** The directory as SCIM GET shows it. */
async function directory(token: string): Promise<Model> {
  const model: Model = { users: new Map(), groups: new Map(), members: new Set() };
  const users = await json<{ Resources: (Record<string, unknown> & { id: string; meta: { version: string } })[] }>(
    await call("/scim/v2/Users?count=1000&excludedAttributes=groups", { token }),
  );
  for (const u of users.Resources) model.users.set(u.id, { version: versionOf(u.meta.version), data: u });
  const groups = await json<{ Resources: { id: string; displayName: string; meta: { version: string }; members?: { value: string }[] }[] }>(
    await call("/scim/v2/Groups?count=1000", { token }),
  );
  for (const g of groups.Resources) {
    model.groups.set(g.id, { version: versionOf(g.meta.version), displayName: g.displayName });
    for (const m of g.members ?? []) model.members.add(`${g.id}|${m.value}`);
  }
  return model;
}

const figures = { cases: 0, requests: 0, events: 0, statuses: new Map<number, number>() };

describe("replaying the feed rebuilds the directory", () => {
  it("after random writes, no-ops, rejected requests and concurrent writers, by both kinds of key", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 16 }), async (steps) => {
        const slug = `replay-${crypto.randomUUID().slice(0, 8)}`;
        const run: Run = {
          tokens: { scim: (await issueKey(slug)).token, app: (await issueKey(slug, { scope: "app" })).token },
          users: [],
          groups: [],
        };
        for (const concurrent of steps) {
          const statuses = await Promise.all(concurrent.map(({ command, app }) => send(run, command, app)));
          for (const s of statuses) figures.statuses.set(s, (figures.statuses.get(s) ?? 0) + 1);
          figures.requests += statuses.length;
          expect(statuses.filter((s) => s >= 500)).toEqual([]);
        }
        const { events } = await readFeed(run.tokens.app);
        figures.events += events.length;
        figures.cases += 1;
        // Gapless ids from 1, in order.
        expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
        const replayed = replay(events);
        const actual = await directory(run.tokens.scim);
        expect(replayed.users).toEqual(actual.users);
        expect(replayed.groups).toEqual(actual.groups);
        expect([...replayed.members].sort()).toEqual([...actual.members].sort());
      }),
      { numRuns: runs(50) },
    );
    console.info("replay property:", JSON.stringify({ ...figures, statuses: Object.fromEntries(figures.statuses) }));
  });
});
