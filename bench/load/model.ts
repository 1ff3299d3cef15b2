// What each tenant's directory must hold at the end: every write the server acknowledged, applied to this
// model in the order the acknowledgements came. A resource with a write in flight is "busy" and no other
// write touches it until that one is answered, so the order of acknowledgements is the order of the
// writes, and the model is exact.

export interface ExpectedUser {
  id: string;
  userName: string;
  externalId: string;
  displayName: string;
  givenName: string;
  familyName: string;
  active: boolean;
  emails: { value: string; type: string }[];
}

export interface ExpectedGroup {
  id: string;
  displayName: string;
  members: Set<string>;
}

/** A small deterministic generator (mulberry32), so a run's traffic can be repeated with --seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }
}

export class TenantModel {
  readonly users = new Map<string, ExpectedUser>();
  readonly groups = new Map<string, ExpectedGroup>();
  readonly deletedUsers = new Set<string>();
  /** Ids (users and groups) with a write in flight. */
  readonly busy = new Set<string>();
  /** Writes whose outcome is unknown (network error, timeout): their resources cannot be verified exactly. */
  readonly uncertain = new Set<string>();
  readonly slug: string;
  readonly token: string;
  readonly rng: Rng;
  private counter = 0;

  constructor(slug: string, token: string, rng: Rng) {
    this.slug = slug;
    this.token = token;
    this.rng = rng;
  }

  /** A name no other request of this run uses. */
  uniqueName(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.slug}-${this.counter}`;
  }

  idleUser(): ExpectedUser | undefined {
    return this.rng.pick([...this.users.values()].filter((u) => !this.busy.has(u.id) && !this.uncertain.has(u.id)));
  }

  idleGroup(): ExpectedGroup | undefined {
    return this.rng.pick([...this.groups.values()].filter((g) => !this.busy.has(g.id) && !this.uncertain.has(g.id)));
  }

  /** Up to `n` distinct idle users, for member changes. */
  idleUsers(n: number): ExpectedUser[] {
    const idle = [...this.users.values()].filter((u) => !this.busy.has(u.id) && !this.uncertain.has(u.id));
    const chosen: ExpectedUser[] = [];
    while (chosen.length < n && idle.length > 0) chosen.push(...idle.splice(this.rng.int(idle.length), 1));
    return chosen;
  }

  /** Any user for reads: busy ones too, reads do not change anything. */
  anyUser(): ExpectedUser | undefined {
    return this.rng.pick([...this.users.values()]);
  }

  anyGroup(): ExpectedGroup | undefined {
    return this.rng.pick([...this.groups.values()]);
  }

  /** Runs `write` with `ids` marked busy; they are freed when it settles, whatever the outcome. */
  async holding(ids: string[], write: () => Promise<void>): Promise<void> {
    for (const id of ids) this.busy.add(id);
    try {
      await write();
    } finally {
      for (const id of ids) this.busy.delete(id);
    }
  }

  /** Groups that have `userId` as a member: a user's deletion changes them too. */
  groupsOf(userId: string): ExpectedGroup[] {
    return [...this.groups.values()].filter((g) => g.members.has(userId));
  }

  removeUser(userId: string): void {
    this.users.delete(userId);
    this.deletedUsers.add(userId);
    for (const group of this.groupsOf(userId)) group.members.delete(userId);
  }
}
