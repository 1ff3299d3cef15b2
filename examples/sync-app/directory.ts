// The application's own copy of the directory, in SQLite (node:sqlite), and how an event changes it.
// State kept beside the data, always in the same transaction as the change it describes:
//   cursor   the events API cursor to read on from (opaque; only the API issues it)
//   applied  the id of the last event applied in feed order (ids are gapless per tenant), once known
//   inbox    webhook deliveries stored but not yet applied, because an earlier event has not arrived yet
import { DatabaseSync } from "node:sqlite";

export interface FeedEvent {
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

export const versionNumber = (etag: string) => Number(/^W\/"(\d+)"$/.exec(etag)?.[1] ?? 0);

export interface Progress {
  cursor?: string;
  applied?: number;
}

export class Directory {
  readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, version INTEGER NOT NULL, user_name TEXT NOT NULL, active INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, version INTEGER NOT NULL, display_name TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS memberships (group_id TEXT NOT NULL, member_id TEXT NOT NULL, member_type TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
      CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body TEXT NOT NULL, received_at INTEGER NOT NULL);
    `);
  }

  private state(key: string): string | null {
    const row = this.db.prepare("SELECT value FROM state WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  cursor(): string | null {
    return this.state("cursor");
  }

  applied(): number | null {
    const value = this.state("applied");
    return value === null ? null : Number(value);
  }

  /** Runs `work` and stores the progress it made in one SQLite transaction: a crash never skips or half-applies an event. */
  transaction(progress: Progress, work: () => void): void {
    this.db.exec("BEGIN");
    try {
      work();
      const save = this.db.prepare("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
      if (progress.cursor !== undefined) save.run("cursor", progress.cursor);
      if (progress.applied !== undefined) save.run("applied", String(progress.applied));
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Everything but the inbox: deliveries stored there are still owed to the application after a resync. */
  clear(): void {
    this.db.exec("DELETE FROM users; DELETE FROM groups; DELETE FROM memberships; DELETE FROM state;");
  }

  /** Stores a user unless the stored one is newer (a replayed event). */
  putUser(user: Record<string, unknown>, version: number): void {
    const { groups: _groups, ...data } = user;
    this.db
      .prepare(
        `INSERT INTO users (id, version, user_name, active, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, user_name = excluded.user_name, active = excluded.active, data = excluded.data
         WHERE excluded.version >= users.version`,
      )
      .run(String(user.id), version, String(user.userName), user.active === false ? 0 : 1, JSON.stringify(data));
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

  /** A deleted user or group: gone, and out of every group. */
  remove(table: "users" | "groups", id: string): void {
    this.db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
    this.db.prepare("DELETE FROM memberships WHERE member_id = ?").run(id);
    if (table === "groups") this.db.prepare("DELETE FROM memberships WHERE group_id = ?").run(id);
  }

  /** Stores a delivery for later (a redelivery of one already there changes nothing). */
  keep(id: number, body: string): void {
    this.db.prepare("INSERT OR IGNORE INTO inbox (id, body, received_at) VALUES (?, ?, ?)").run(id, body, Date.now());
  }

  /** The lowest event id waiting in the inbox, or null when it is empty. */
  firstKept(): number | null {
    const row = this.db.prepare("SELECT min(id) AS id FROM inbox").get() as { id: number | null };
    return row.id;
  }

  kept(id: number): FeedEvent | null {
    const row = this.db.prepare("SELECT body FROM inbox WHERE id = ?").get(id) as { body: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as FeedEvent);
  }

  /** Drops inbox entries the feed has already applied (through the events API, or as duplicates). */
  forgetThrough(id: number): void {
    this.db.prepare("DELETE FROM inbox WHERE id <= ?").run(id);
  }
}

export function describeEvent(event: FeedEvent): string {
  const name = event.data.userName ?? event.data.displayName ?? event.resourceId;
  const detail = event.changed ? ` (${event.changed.join(", ")})` : event.members ? ` (${event.members.length} members)` : event.groups?.length ? ` (left ${event.groups.length} groups)` : "";
  return `#${event.id} ${event.type} ${String(name)} v${versionNumber(event.version)}${detail} by ${event.actor.scope}`;
}

/**
 * Applies one event. Replays are harmless: a user or group older than the stored version is skipped, and
 * membership changes applied in feed order leave the last one standing.
 */
export function applyEvent(directory: Directory, event: FeedEvent): void {
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
