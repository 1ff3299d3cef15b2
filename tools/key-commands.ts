// The key commands as functions that return data; keys.ts and dev.ts only parse and print. Tenants live
// in D1, keys in KV under `key:<keyId>` (value: the record with its hash; metadata: the record without
// it, so listing never reads a hash). Secrets exist only in the returned token, never in what is stored.
import {
  keyMetadata,
  keyRecordSchema,
  keyState,
  kvKeyName,
  newKeyRecord,
  type KeyMetadata,
  type KeyRecord,
  type KeyScope,
  type KeyState,
} from "../src/keys/token.ts";
import { usageError, wranglerError } from "./errors.ts";
import { queryCurrentSchema } from "./local-schema.ts";
import { insertTenant, selectTenantStatus } from "./tenant-statements.ts";
import { d1Execute, kvGet, kvList, kvPut, type Target } from "./wrangler.ts";

// Cloudflare KV rejects metadata above 1024 bytes of JSON.
const KV_METADATA_LIMIT = 1024;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface KeyView extends KeyMetadata {
  state: KeyState;
}

export interface IssuedKey {
  /** Shown once: only its hash is stored. */
  token: string;
  key: KeyView;
}

/** What commands return about a key: everything but the hash, plus its state. */
function view(record: KeyMetadata & { hash?: string }, now = Date.now()): KeyView {
  const { hash: _hash, ...metadata } = record;
  return { ...metadata, state: keyState(metadata, now) };
}

function metadataJson(record: KeyRecord): string {
  const metadata = JSON.stringify(keyMetadata(record));
  if (new TextEncoder().encode(metadata).length > KV_METADATA_LIMIT) {
    throw usageError(`key metadata exceeds KV's ${KV_METADATA_LIMIT}-byte limit: shorten --label or --org`);
  }
  return metadata;
}

async function writeRecord(target: Target, record: KeyRecord): Promise<void> {
  await kvPut(target, kvKeyName(record.keyId), JSON.stringify(record), metadataJson(record));
}

async function readRecord(target: Target, keyId: string): Promise<KeyRecord> {
  const text = await kvGet(target, kvKeyName(keyId));
  if (text === null) throw usageError(`unknown key id ${keyId}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = keyRecordSchema.safeParse(json);
  if (!parsed.success) throw wranglerError(`the stored record of key ${keyId} is not a valid key record`);
  return parsed.data;
}

export interface TenantResult {
  created: boolean;
  status: string;
}

/** Creates the tenant unless it exists. A tenant that exists costs one read; a new one a read and a write. */
export async function ensureTenant(target: Target, slug: string, defaultOrganization: string | null): Promise<TenantResult> {
  const [found] = await queryCurrentSchema(target, `${selectTenantStatus(slug)};`);
  const existingStatus = found?.[0]?.status;
  if (typeof existingStatus === "string") return { created: false, status: existingStatus };

  const region = target.env ?? "local";
  const [inserted, existing] = await d1Execute(target, `${insertTenant({ slug, region, defaultOrganization })}; ${selectTenantStatus(slug)};`);
  const status = existing?.[0]?.status;
  if (typeof status !== "string") throw wranglerError(`tenant ${slug} could not be created`);
  return { created: (inserted?.length ?? 0) > 0, status };
}

export async function tenantExists(target: Target, slug: string): Promise<boolean> {
  const [rows] = await queryCurrentSchema(target, `${selectTenantStatus(slug)};`);
  return (rows?.length ?? 0) > 0;
}

export interface CreateInput {
  tenant: string;
  label: string;
  organization: string | null;
  expiresInDays: number | null;
  /** Default `scim`. */
  scope?: KeyScope;
}

export async function createKey(target: Target, input: CreateInput): Promise<IssuedKey & { tenant: TenantResult }> {
  const { token, record } = await newKeyRecord(input);
  metadataJson(record); // An oversized label or org fails here, before the tenant is created.
  // The tenant row comes before the key: a key for a tenant that failed to be created would be refused anyway.
  const tenant = await ensureTenant(target, input.tenant, input.organization);
  await writeRecord(target, record);
  return { token, key: view(record), tenant };
}

/**
 * Every key of a tenant, oldest first. KV has no secondary index, so this lists all `key:` entries and
 * filters on the metadata; it never reads a value, so hashes never leave KV.
 */
export async function tenantKeys(target: Target, tenant: string): Promise<KeyView[]> {
  const now = Date.now();
  const metadataSchema = keyRecordSchema.omit({ hash: true });
  const keys: KeyView[] = [];
  for (const entry of await kvList(target, "key:")) {
    // Entries whose metadata is not a key record (written by hand, say) are not keys this CLI manages.
    const parsed = metadataSchema.safeParse(entry.metadata);
    if (parsed.success && parsed.data.tenant === tenant) keys.push(view(parsed.data, now));
  }
  return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
}

export async function listKeys(target: Target, tenant: string): Promise<KeyView[]> {
  // Both are reads of separate stores, so they run side by side: each wrangler call costs a second or two.
  const [exists, keys] = await Promise.all([tenantExists(target, tenant), tenantKeys(target, tenant)]);
  if (!exists) throw usageError(`unknown tenant ${tenant}`);
  return keys;
}

/** Sets revokedAt to `at`, unless the key already stops working earlier (revoking never extends a key's life). */
async function revokeAt(target: Target, record: KeyRecord, at: Date): Promise<KeyView> {
  const current = record.revokedAt === null ? Infinity : Date.parse(record.revokedAt);
  if (current <= at.getTime()) return view(record);
  const updated: KeyRecord = { ...record, revokedAt: at.toISOString() };
  await writeRecord(target, updated);
  return view(updated);
}

export async function revokeKey(target: Target, keyId: string): Promise<KeyView> {
  return revokeAt(target, await readRecord(target, keyId), new Date());
}

export interface RotatedKey extends IssuedKey {
  /** The old key, with the revokedAt it got (now + grace). */
  replaced: KeyView;
}

export async function rotateKey(target: Target, keyId: string, graceMinutes: number): Promise<RotatedKey> {
  const old = await readRecord(target, keyId);
  if (keyState(old) === "revoked") throw usageError(`key ${keyId} is revoked: issue a new one with create`);
  // Same expiry policy: the replacement lives as long as the old key was meant to, counted from now.
  const expiresInDays = old.expiresAt === null ? null : (Date.parse(old.expiresAt) - Date.parse(old.createdAt)) / DAY_MS;
  const { token, record } = await newKeyRecord({
    tenant: old.tenant,
    label: old.label,
    organization: old.organization,
    expiresInDays,
    scope: old.scope,
  });
  // The replacement is written before the old key is touched: if the second write fails, both keys
  // work, which is safe, instead of neither.
  await writeRecord(target, record);
  const replaced = await revokeAt(target, old, new Date(Date.now() + graceMinutes * MINUTE_MS));
  return { token, key: view(record), replaced };
}
