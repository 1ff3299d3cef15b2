// An application that keeps its own copy of a tenant's directory from edge-scim's change feed, with nothing but
// Node 22 (fetch, node:sqlite). The sync protocol (README, "Consuming changes in your application"):
//   1. head:     GET /v1/events?limit=0                 -> the cursor of the newest event
//   2. snapshot: GET /scim/v2/Users and /scim/v2/Groups -> every user and group as they are now
//   3. follow:   GET /v1/events?after=<cursor>          -> every change since the head, oldest first
// Events already reflected in the snapshot replay harmlessly: a user event older than the stored version is
// skipped, and membership changes are applied in feed order, so the last one wins. A 410 (the cursor is
// older than retention) means: start again at 1.
//
//   node --experimental-strip-types examples/sync-app/sync.ts --base http://localhost:8787 --token <app key> --db sync.db
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";

interface Options {
  base: string;
  token: string;
  db: string;
  /** Milliseconds between polls once caught up. */
  interval: number;
  /** Stop once caught up instead of polling on. */
  once: boolean;
}

interface FeedEvent {
  id: string;
  type: string;
  resourceType: "User" | "Group";
  resourceId: string;
  version: string;
  changed?: string[];
  data: Record<string, unknown>;
  members?: { value: string; type: "User" | "Group" }[];
  groups?: string[];
  actor: { scope: string };
}

interface FeedPage {
  data: FeedEvent[];
  nextCursor: string;
  hasMore: boolean;
}

type Resource = Record<string, unknown> & { id: string; meta: { version: string } };

class CursorExpired extends Error {}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      token: { type: "string" },
      db: { type: "string", default: "sync.db" },
      interval: { type: "string", default: "1000" },
      once: { type: "boolean", default: false },
    },
    strict: true,
  });
  const token = values.token ?? process.env.EDGE_SCIM_TOKEN;
  if (values.base === undefined || token === undefined) {
    throw new Error("usage: sync.ts --base <url> --token <app key> [--db FILE] [--interval MS] [--once] (or EDGE_SCIM_TOKEN)");
  }
  return { base: values.base.replace(/\/+$/, ""), token, db: values.db, interval: Number(values.interval), once: values.once };
}

const versionNumber = (etag: string) => Number(/^W\/"(\d+)"$/.exec(etag)?.[1] ?? 0);

class Directory {
  readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, version INTEGER NOT NULL, user_name TEXT NOT NULL, active INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, version INTEGER NOT NULL, display_name TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS memberships (group_id TEXT NOT NULL, member_id TEXT NOT NULL, member_type TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
    `);
  }

  cursor(): string | null {
    const row = this.db.prepare("SELECT value FROM state WHERE key = 'cursor'").get() as { value: string } | undefined;
    return row?.value ?? null;
  }

  /** Runs `work` and stores `cursor` in one SQLite transaction: a crash never skips or half-applies an event. */
  transaction(cursor: string, work: () => void): void {
    this.db.exec("BEGIN");
    try {
      work();
      this.db.prepare("INSERT INTO state (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(cursor);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  clear(): void {
    this.db.exec("DELETE FROM users; DELETE FROM groups; DELETE FROM memberships; DELETE FROM state;");
  }

  /** Stores a user unless the stored one is newer (a replayed event). Returns whether it applied. */
  putUser(user: Record<string, unknown>, version: number): boolean {
    const { groups: _groups, ...data } = user;
    const result = this.db
      .prepare(
        `INSERT INTO users (id, version, user_name, active, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, user_name = excluded.user_name, active = excluded.active, data = excluded.data
         WHERE excluded.version >= users.version`,
      )
      .run(String(user.id), version, String(user.userName), user.active === false ? 0 : 1, JSON.stringify(data));
    return Number(result.changes) > 0;
  }

  putGroup(group: Record<string, unknown>, version: number): void {
    const { members: _members, ...data } = group;
    this.db
      .prepare(
        `INSERT INTO groups (id, version, display_name, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, display_name = excluded.display_name, data = excluded.data
         WHERE excluded.version >= groups.version`,
      )
      .run(String(group.id), version, String(group.displayName), JSON.stringify(data));
  }

  addMember(groupId: string, memberId: string, type: string): void {
    this.db.prepare("INSERT OR IGNORE INTO memberships (group_id, member_id, member_type) VALUES (?, ?, ?)").run(groupId, memberId, type);
  }

  removeMember(groupId: string, memberId: string): void {
    this.db.prepare("DELETE FROM memberships WHERE group_id = ? AND member_id = ?").run(groupId, memberId);
  }

  /** A deleted user or group: gone, and out of every group (the event's `groups` names them). */
  remove(table: "users" | "groups", id: string): void {
    this.db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
    this.db.prepare("DELETE FROM memberships WHERE member_id = ?").run(id);
    if (table === "groups") this.db.prepare("DELETE FROM memberships WHERE group_id = ?").run(id);
  }
}

class Client {
  private readonly options: Options;

  constructor(options: Options) {
    this.options = options;
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.options.base}${path}`, { headers: { Authorization: `Bearer ${this.options.token}` } });
    if (response.status === 410) throw new CursorExpired(((await response.json()) as { detail: string }).detail);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Every resource of a SCIM endpoint, page by page. */
  async all(endpoint: "Users" | "Groups", query: string): Promise<Resource[]> {
    const out: Resource[] = [];
    for (let start = 1; ; start += 100) {
      const page = await this.get<{ totalResults: number; Resources?: Resource[] }>(`/scim/v2/${endpoint}?startIndex=${start}&count=100${query}`);
      out.push(...(page.Resources ?? []));
      if ((page.Resources ?? []).length < 100 || out.length >= page.totalResults) return out;
    }
  }
}

function describe(event: FeedEvent): string {
  const name = event.data.userName ?? event.data.displayName ?? event.resourceId;
  const detail = event.changed ? ` (${event.changed.join(", ")})` : event.members ? ` (${event.members.length} members)` : event.groups?.length ? ` (left ${event.groups.length} groups)` : "";
  return `#${event.id} ${event.type} ${String(name)} v${versionNumber(event.version)}${detail} by ${event.actor.scope}`;
}

function apply(directory: Directory, event: FeedEvent): void {
  const version = versionNumber(event.version);
  switch (event.type) {
    case "user.deleted":
      return directory.remove("users", event.resourceId);
    case "group.deleted":
      return directory.remove("groups", event.resourceId);
    case "group.members_added":
    case "group.members_removed":
      directory.putGroup(event.data, version);
      for (const member of event.members ?? []) {
        if (event.type === "group.members_added") directory.addMember(event.resourceId, member.value, member.type);
        else directory.removeMember(event.resourceId, member.value);
      }
      return;
    default:
      // created, updated, deactivated, reactivated, password_changed: the resource as it now is.
      if (event.resourceType === "User") directory.putUser(event.data, version);
      else directory.putGroup(event.data, version);
  }
}

async function snapshot(client: Client, directory: Directory): Promise<void> {
  const head = (await client.get<FeedPage>("/v1/events?limit=0")).nextCursor;
  const users = await client.all("Users", "&excludedAttributes=groups");
  const groups = await client.all("Groups", "");
  let memberships = 0;
  directory.transaction(head, () => {
    directory.clear();
    for (const user of users) directory.putUser(user, versionNumber(user.meta.version));
    for (const group of groups) {
      directory.putGroup(group, versionNumber(group.meta.version));
      for (const member of (group.members ?? []) as { value: string; type: string }[]) {
        directory.addMember(group.id, member.value, member.type);
        memberships++;
      }
    }
  });
  console.log(`snapshot: ${users.length} users, ${groups.length} groups, ${memberships} memberships; following from the head`);
}

async function follow(client: Client, directory: Directory, options: Options): Promise<void> {
  for (;;) {
    const cursor = directory.cursor();
    if (cursor === null) throw new CursorExpired("no cursor");
    const page = await client.get<FeedPage>(`/v1/events?after=${encodeURIComponent(cursor)}&limit=100`);
    directory.transaction(page.nextCursor, () => {
      for (const event of page.data) apply(directory, event);
    });
    for (const event of page.data) console.log(describe(event));
    if (page.hasMore) continue;
    if (options.once) return;
    await new Promise((resolve) => setTimeout(resolve, options.interval));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const client = new Client(options);
  const directory = new Directory(options.db);
  let stopping = false;
  process.on("SIGTERM", () => {
    stopping = true;
    process.exit(0);
  });
  while (!stopping) {
    try {
      if (directory.cursor() === null) await snapshot(client, directory);
      await follow(client, directory, options);
      return;
    } catch (error) {
      if (!(error instanceof CursorExpired)) throw error;
      console.log(`resynchronising: ${error.message}`);
      directory.clear();
    }
  }
}

await main();
