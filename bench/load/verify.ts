// After the load: every user and group of every tenant is read back through the API and compared with
// the model of acknowledged writes. A missing resource, a wrong attribute or member, an extra resource
// (a create acknowledged as failed that landed anyway, or a duplicate), or a deleted user that still
// answers, each counts as one lost write.
import type { ScimClient } from "./client.ts";
import type { ExpectedGroup, ExpectedUser, TenantModel } from "./model.ts";

export interface Verification {
  usersChecked: number;
  groupsChecked: number;
  deletedChecked: number;
  lostWrites: number;
  /** Resources whose last write got no answer: compared loosely (present or not), listed for the report. */
  uncertain: number;
  samples: string[];
}

const PAGE = 100;

async function readAll(c: ScimClient, t: TenantModel, endpoint: string): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  // Bounded by what the model says exists, with room for extras; each page must make progress.
  const maxPages = Math.ceil((t.users.size + t.groups.size) / PAGE) + 100;
  for (let page = 0, startIndex = 1; page < maxPages; page++, startIndex += PAGE) {
    const res = await c.send(`verify GET ${endpoint}`, t.token, "GET", `${endpoint}?startIndex=${startIndex}&count=${PAGE}`, 200);
    if (res?.status !== 200) throw new Error(`reading ${endpoint} of ${t.slug} failed at startIndex ${startIndex}`);
    const resources = (res.json?.Resources ?? []) as Record<string, unknown>[];
    for (const r of resources) found.set(String(r.id), r);
    if (resources.length < PAGE) return found;
  }
  throw new Error(`reading ${endpoint} of ${t.slug} did not end after ${maxPages} pages`);
}

function userDiff(u: ExpectedUser, r: Record<string, unknown>): string | null {
  const name = (r.name ?? {}) as Record<string, unknown>;
  const emails = ((r.emails ?? []) as { value?: string; type?: string }[]).map((e) => `${e.type}:${e.value}`).sort();
  const want = u.emails.map((e) => `${e.type}:${e.value}`).sort();
  const checks: [string, unknown, unknown][] = [
    ["userName", r.userName, u.userName],
    ["displayName", r.displayName, u.displayName],
    ["active", r.active, u.active],
    ["externalId", r.externalId, u.externalId],
    ["name.givenName", name.givenName, u.givenName],
    ["name.familyName", name.familyName, u.familyName],
    ["emails", emails.join(","), want.join(",")],
  ];
  const wrong = checks.filter(([, got, expected]) => got !== expected);
  return wrong.length === 0 ? null : wrong.map(([field, got, expected]) => `${field} ${JSON.stringify(got)} != ${JSON.stringify(expected)}`).join("; ");
}

function groupDiff(g: ExpectedGroup, r: Record<string, unknown>): string | null {
  const members = ((r.members ?? []) as { value?: string }[]).map((m) => String(m.value)).sort();
  const want = [...g.members].sort();
  if (r.displayName !== g.displayName) return `displayName ${JSON.stringify(r.displayName)} != ${JSON.stringify(g.displayName)}`;
  if (members.join(",") !== want.join(",")) return `members [${members.length}] != expected [${want.length}]`;
  return null;
}

export async function verifyTenant(c: ScimClient, t: TenantModel, out: Verification): Promise<void> {
  const lost = (what: string) => {
    out.lostWrites += 1;
    if (out.samples.length < 20) out.samples.push(`${t.slug}: ${what}`);
  };
  const users = await readAll(c, t, "/Users");
  for (const u of t.users.values()) {
    out.usersChecked += 1;
    const r = users.get(u.id);
    const diff = r ? userDiff(u, r) : "missing";
    if (diff !== null && t.uncertain.has(u.id)) out.uncertain += 1;
    else if (diff !== null) lost(`user ${u.id}: ${diff}`);
  }
  for (const [id, r] of users) {
    if (t.users.has(id)) continue;
    if (t.uncertain.has(String(r.userName)) || t.uncertain.has(id)) out.uncertain += 1;
    else lost(`user ${id} (${String(r.userName)}) exists but no acknowledged write created it`);
  }
  for (const id of t.deletedUsers) {
    out.deletedChecked += 1;
    const res = await c.send("verify GET /Users/{id} (deleted)", t.token, "GET", `/Users/${id}`, 404);
    if (res?.status !== 404) lost(`deleted user ${id} answers ${String(res?.status)}`);
  }
  const groups = await readAll(c, t, "/Groups");
  for (const g of t.groups.values()) {
    out.groupsChecked += 1;
    const r = groups.get(g.id);
    const diff = r ? groupDiff(g, r) : "missing";
    if (diff !== null && t.uncertain.has(g.id)) out.uncertain += 1;
    else if (diff !== null) lost(`group ${g.id}: ${diff}`);
  }
  for (const [id, r] of groups) {
    if (t.groups.has(id)) continue;
    if (t.uncertain.has(String(r.displayName))) out.uncertain += 1;
    else lost(`group ${id} (${String(r.displayName)}) exists but no acknowledged write created it`);
  }
}
