// API key records in KV (`key:<keyId>`), read through a bounded per-isolate cache. The worker only reads them:
// `npm run keys` writes them (tools/key-commands.ts).
import { keyRecordSchema, kvKeyName, type KeyRecord } from "../../keys/token.ts";
import { TtlCache } from "../../util/ttl-cache.ts";

const cache = new TtlCache<KeyRecord>(1000);

/**
 * Key ids KV had no (valid) record for, remembered briefly so that a client repeating a bogus token costs
 * one KV read per window rather than one per request. Its own cache, so a flood of random ids cannot evict
 * real keys. Short: a key created for an id that was probed before works within this many seconds.
 */
export const ABSENT_KEY_CACHE_SECONDS = 10;
const absent = new TtlCache<true>(10_000);

export async function readKey(kv: KVNamespace, keyId: string, cacheSeconds: number): Promise<KeyRecord | null> {
  const cached = cache.get(keyId);
  if (cached) return cached;
  if (absent.get(keyId) !== undefined) return null;
  const raw = await kv.get(kvKeyName(keyId), "json");
  // A record that does not parse is treated as absent: auth fails closed.
  const parsed = raw === null ? null : keyRecordSchema.safeParse(raw);
  if (parsed === null || !parsed.success) {
    absent.set(keyId, true, Math.min(cacheSeconds, ABSENT_KEY_CACHE_SECONDS) * 1000);
    return null;
  }
  cache.set(keyId, parsed.data, cacheSeconds * 1000);
  return parsed.data;
}
