// A small bounded cache for a warm isolate: entries expire after ttlMs, the oldest go first when full. An entry
// set with a stale period stays readable through `getStale` for that long after it expires, so its owner can
// answer from it while a fresh read runs in the background.
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number; staleUntil: number }>();

  private readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.getStale(key, now);
    return hit?.fresh ? hit.value : undefined;
  }

  /** The entry, fresh or within its stale period after expiry. */
  getStale(key: string, now = Date.now()): { value: V; fresh: boolean } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.staleUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: hit.value, fresh: hit.expires > now };
  }

  set(key: string, value: V, ttlMs: number, now = Date.now(), staleMs = 0): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: now + ttlMs, staleUntil: now + ttlMs + Math.max(0, staleMs) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
