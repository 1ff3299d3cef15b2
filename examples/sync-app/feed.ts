// edge-scim's side: the SCIM reads of the snapshot and the events API (README, "Consuming changes").
import { applyEvent, describeEvent, versionNumber, type Directory, type FeedEvent } from "./directory.ts";

interface FeedPage {
  data: FeedEvent[];
  nextCursor: string;
  hasMore: boolean;
}

type Resource = Record<string, unknown> & { id: string; meta: { version: string } };

/** A 410 from the events API: the cursor is older than retention, so the application must resynchronise. */
export class CursorExpired extends Error {}

export class Client {
  private readonly base: string;
  private readonly token: string;

  constructor(base: string, token: string) {
    this.base = base;
    this.token = token;
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`, { headers: { Authorization: `Bearer ${this.token}` } });
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

/** Head, then the directory as it is now: the starting point from which the feed is followed. */
export async function snapshot(client: Client, directory: Directory): Promise<void> {
  const head = (await client.get<FeedPage>("/v1/events?limit=0")).nextCursor;
  const users = await client.all("Users", "&excludedAttributes=groups");
  const groups = await client.all("Groups", "");
  let memberships = 0;
  directory.transaction({ cursor: head }, () => {
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

/**
 * Reads the events API from the stored cursor to its end, applying each page and storing the new cursor in one
 * transaction. Events at or below `applied` (already applied from webhooks) are skipped: ids are in commit order.
 */
export async function pull(client: Client, directory: Directory, via: string): Promise<void> {
  for (;;) {
    const cursor = directory.cursor();
    if (cursor === null) throw new CursorExpired("no cursor");
    const page = await client.get<FeedPage>(`/v1/events?after=${encodeURIComponent(cursor)}&limit=100`);
    const applied = directory.applied();
    const fresh = page.data.filter((event) => applied === null || Number(event.id) > applied);
    const last = page.data.at(-1);
    directory.transaction({ cursor: page.nextCursor, ...(last !== undefined ? { applied: Math.max(applied ?? 0, Number(last.id)) } : {}) }, () => {
      for (const event of fresh) applyEvent(directory, event);
    });
    for (const event of fresh) console.log(`${describeEvent(event)}${via}`);
    if (!page.hasMore) return;
  }
}
