// The Okta/Entra-shaped workload against one seeded tenant, phase by phase, then the floor (floor.ts) in the
// same run. Every request is recorded under an operation name from ops.ts. What the workload creates it
// deletes again, members it removes it adds back, users it deactivates it reactivates: the tenant keeps its
// size and shape, so a later run on the same --persist-to state measures the same directory.
import { RequestFailed, Recorder, scimClient, type Reply } from "./client.ts";
import { measureFloor } from "./floor.ts";
import { BIG_GROUP, groupId, groupName, userId, userName } from "./ids.ts";
import { OPS } from "./ops.ts";
import { pick, type Rng } from "./rng.ts";
import { phaseRunner, type Measurements } from "./runner.ts";
import * as shape from "./shapes.ts";
import { PAGE, importWalk, type WalkResult } from "./walk.ts";

export interface TenantRun {
  /** The tenant's SCIM base URL: http://127.0.0.1:PORT/t/<slug>/scim/v2 */
  baseUrl: string;
  token: string;
  users: number;
  bigGroupMembers: number;
  /** Makes names created by this run unique across runs on the same state. */
  runTag: string;
  rng: Rng;
}

export interface WorkloadOptions {
  concurrency: number;
  iterations: number;
  durationSeconds: number | null;
  walkPages: number;
}

export interface WorkloadResult {
  ops: Measurements;
  walk: WalkResult;
  /** totalResults of GET /Users at the start. */
  totalUsers: number;
}

/** Pages and group creations cost more per request; this many give stable percentiles already. */
const SMALLER_ITERATIONS = 100;

type Json = Record<string, unknown>;
const asJson = (reply: Reply): Json => (typeof reply.body === "object" && reply.body !== null ? (reply.body as Json) : {});
const ok = (reply: Reply) => reply.status >= 200 && reply.status < 300;

export async function runWorkload(t: TenantRun, options: WorkloadOptions): Promise<WorkloadResult> {
  const ops: Measurements = new Map();
  const phases = phaseRunner(t.baseUrl, t.token, options, ops);
  const budget = phases.budget;
  const phase = phases.run;
  const fewer = Math.min(options.iterations, SMALLER_ITERATIONS);
  const setup = scimClient(t.baseUrl, t.token, new Recorder());
  const user = () => pick(t.rng, t.users);
  const member = () => pick(t.rng, t.bigGroupMembers);
  const bigGroup = groupId(BIG_GROUP);

  // Warm-up, not recorded: the isolate's key and tenant caches, and the code paths' first runs.
  const countReply = await setup.call(null, "GET", "/Users?count=0");
  if (countReply.status !== 200) throw new RequestFailed(`GET /Users?count=0 answered ${countReply.status}: ${JSON.stringify(countReply.body)}`);
  const totalUsers = Number(asJson(countReply).totalResults);
  for (let i = 0; i < 20; i++) await setup.call(null, "GET", `/Users/${userId(user())}`);
  const lastStart = Math.floor((totalUsers - 1) / PAGE) * PAGE + 1;

  const createdUsers: string[] = [];
  await phase("okta: existence check + create", budget(), async (client, k) => {
    const name = `new-${t.runTag}-${k}@bench.example`;
    await client.call(OPS.lookupMiss.name, "GET", `/Users?${shape.filterQuery("userName", name)}`);
    const created = await client.call(OPS.create.name, "POST", "/Users", shape.oktaCreateUser(name, `${t.runTag}${k}`));
    const id = asJson(created).id;
    if (ok(created) && typeof id === "string") createdUsers.push(id);
  });

  await phase("okta: existence check of existing users", budget(), async (client) => {
    await client.call(OPS.lookupHit.name, "GET", `/Users?${shape.filterQuery("userName", userName(user()))}`);
  });

  await phase("okta: GET + PUT profile update", budget(), async (client, k) => {
    const id = userId(user());
    const current = await client.call(OPS.get.name, "GET", `/Users/${id}`);
    if (ok(current)) await client.call(OPS.put.name, "PUT", `/Users/${id}`, shape.oktaPutUser(asJson(current), k));
  });

  await phase("okta: deactivate + reactivate", budget(), async (client) => {
    const id = userId(user());
    await client.call(OPS.deactivate.name, "PATCH", `/Users/${id}`, shape.oktaSetActive(false));
    await client.call(OPS.reactivate.name, "PATCH", `/Users/${id}`, shape.oktaSetActive(true));
  });

  await phase("okta: password sync", budget(), async (client, k) => {
    await client.call(OPS.password.name, "PATCH", `/Users/${userId(user())}`, shape.oktaPassword(k));
  });

  await phase("entra: attribute PATCH, active False/True", budget(), async (client, k) => {
    const i = user();
    await client.call(OPS.entraAttributes.name, "PATCH", `/Users/${userId(i)}`, shape.entraUserAttributes(userName(i), k));
    await client.call(OPS.entraActive.name, "PATCH", `/Users/${userId(i)}`, shape.entraSetActive(false));
    await client.call(OPS.entraActive.name, "PATCH", `/Users/${userId(i)}`, shape.entraSetActive(true));
  });

  await phase("list: unfiltered count", budget(), async (client) => {
    await client.call(OPS.count.name, "GET", "/Users?count=0");
  });

  // Four variants (first/last page, with and without groups), as many of each as the other phases run.
  const bare = "&excludedAttributes=groups";
  const pages = [
    [OPS.firstPage, `/Users?startIndex=1&count=${PAGE}`],
    [OPS.lastPage, `/Users?startIndex=${lastStart}&count=${PAGE}`],
    [OPS.firstPageBare, `/Users?startIndex=1&count=${PAGE}${bare}`],
    [OPS.lastPageBare, `/Users?startIndex=${lastStart}&count=${PAGE}${bare}`],
  ] as const;
  await phase("list: first and last page", budget({ iterations: fewer * 2 }), async (client, k) => {
    const [op, path] = pages[k % pages.length]!;
    await client.call(op.name, "GET", path);
  });

  const walk = await importWalk(t.baseUrl, t.token, totalUsers, options.walkPages, ops);

  const createdGroups: string[] = [];
  await phase("okta: group push of new groups", budget({ iterations: fewer }), async (client, k) => {
    const name = `Push ${t.runTag} ${k}`;
    await client.call(OPS.groupLookupMiss.name, "GET", `/Groups?${shape.filterQuery("displayName", name)}`);
    const created = await client.call(OPS.groupCreate.name, "POST", "/Groups", shape.oktaCreateGroup(name));
    const id = asJson(created).id;
    if (!ok(created) || typeof id !== "string") return;
    createdGroups.push(id);
    const members = Array.from({ length: 10 }, () => user()).map((i) => ({ id: userId(i), display: userName(i) }));
    await client.call(OPS.groupAddTen.name, "PATCH", `/Groups/${id}`, shape.oktaAddMembers(members));
  });

  // Okta pushes one group at a time, so the big group's changes run from one client: concurrent PATCHes of
  // one group would only measure the optimistic-concurrency retries.
  const serial = budget({ concurrency: 1 });
  await phase("okta: member remove + add on the big group", serial, async (client) => {
    const i = member();
    await client.call(OPS.oktaRemove.name, "PATCH", `/Groups/${bigGroup}`, shape.oktaRemoveMember(userId(i)));
    await client.call(OPS.oktaAdd.name, "PATCH", `/Groups/${bigGroup}`, shape.oktaAddMembers([{ id: userId(i), display: userName(i) }]));
  });
  await phase("entra: member remove + add on the big group", serial, async (client) => {
    const id = userId(member());
    await client.call(OPS.entraRemove.name, "PATCH", `/Groups/${bigGroup}`, shape.entraRemoveMember(id));
    await client.call(OPS.entraAdd.name, "PATCH", `/Groups/${bigGroup}`, shape.entraAddMember(id));
  });
  await phase("okta: rename + read the big group", serial, async (client, k) => {
    // Alternates between two names; the name is restored after the phase, however many iterations ran.
    const name = k % 2 === 0 ? `${groupName(BIG_GROUP)} (renamed)` : groupName(BIG_GROUP);
    await client.call(OPS.rename.name, "PATCH", `/Groups/${bigGroup}`, shape.oktaRenameGroup(bigGroup, name));
    await client.call(OPS.groupGet.name, "GET", `/Groups/${bigGroup}?excludedAttributes=members`);
  });
  await setup.call(null, "PATCH", `/Groups/${bigGroup}`, shape.oktaRenameGroup(bigGroup, groupName(BIG_GROUP)));

  await phase("cleanup: delete created users and groups", budget({ iterations: Math.max(createdUsers.length, createdGroups.length), durationSeconds: null }), async (client, k) => {
    const u = createdUsers[k];
    if (u !== undefined) await client.call(OPS.deleteUser.name, "DELETE", `/Users/${u}`);
    const g = createdGroups[k];
    if (g !== undefined) await client.call(OPS.deleteGroup.name, "DELETE", `/Groups/${g}`);
  });

  await measureFloor(phases, { runTag: t.runTag, user, member }, fewer);

  return { ops, walk, totalUsers };
}
