// API key records in KV (`key:<keyId>`), read through a bounded per-isolate cache.
import { keyMetadata, keyRecordSchema, kvKeyName, type KeyRecord } from "../../keys/token.ts";
import { TtlCache } from "../../util/ttl-cache.ts";

const cache = new TtlCache<KeyRecord>(1000);

export async function readKey(kv: KVNamespace, keyId: string, cacheSeconds: number): Promise<KeyRecord | null> {
  const cached = cache.get(keyId);
  if (cached) return cached;
  const raw = await kv.get(kvKeyName(keyId), "json");
  if (raw === null) return null;
  const parsed = keyRecordSchema.safeParse(raw);
  // A record that does not parse is treated as absent: auth fails closed.
  if (!parsed.success) return null;
  cache.set(keyId, parsed.data, cacheSeconds * 1000);
  return parsed.data;
}

export async function writeKey(kv: KVNamespace, record: KeyRecord): Promise<void> {
  await kv.put(kvKeyName(record.keyId), JSON.stringify(record), { metadata: keyMetadata(record) });
  cache.clear();
}

/** Whether a record for `keyId` is cached, so checking a token with that key id would not read KV. */
export function isKeyCached(keyId: string): boolean {
  return cache.get(keyId) !== undefined;
}

/** For tests: forget what this isolate has cached. */
export function clearKeyCache(): void {
  cache.clear();
}
