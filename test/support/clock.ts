// Time passing for what a warm isolate caches (key records, access tokens, tenants, refused sources): rather
// than a reset hook in production code, the test moves the clock past the entry's lifetime, which is what
// ends it in production. Only Date moves (vi.setSystemTime without fake timers); timers and I/O stay real.
import { vi } from "vitest";

/** Runs `fn` with the clock `seconds` (plus a millisecond) ahead of now, then puts it back. */
export async function afterSeconds<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
  vi.setSystemTime(Date.now() + seconds * 1000 + 1);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}
