// API key records written into the test's KV binding as `npm run keys` writes them (tools/key-commands.ts,
// writeRecord): the record under `key:<keyId>`, its metadata without the hash. A test that replaces the record
// of a key the worker has already read sees the change only after KEY_CACHE_SECONDS, as production does
// (test/support/clock.ts moves the clock there).
import { env } from "cloudflare:workers";
import { keyMetadata, kvKeyName, type KeyRecord } from "../../../src/keys/token.ts";

export async function storeKeyRecord(record: KeyRecord): Promise<void> {
  await env.KV.put(kvKeyName(record.keyId), JSON.stringify(record), { metadata: keyMetadata(record) });
}
