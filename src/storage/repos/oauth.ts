// The OAuth server's KV entries (schema in src/oauth/records.ts). KV has no transactions: every change
// is ordered so that a failure half-way leaves less access, never more (the new token is written before
// the grant points at it; revocation deletes the access token the SCIM path reads first).
import {
  accessRecordSchema,
  authorizationCodeRecordSchema,
  clientRecordSchema,
  connectCodeRecordSchema,
  grantRecordSchema,
  kvName,
  kvTtlSeconds,
  refreshRecordSchema,
  type AccessRecord,
  type AuthorizationCodeRecord,
  type ClientRecord,
  type ConnectCodeRecord,
  type GrantRecord,
  type RefreshRecord,
} from "../../oauth/records.ts";
import {
  ACCESS_TOKEN_SECONDS,
  newAccessToken,
  newRefreshToken,
  REFRESH_TOKEN_SECONDS,
  tokenHash,
} from "../../oauth/tokens.ts";
import type { z } from "zod";
import { TtlCache } from "../../util/ttl-cache.ts";

async function readJson<T>(kv: KVNamespace, name: string, schema: z.ZodType<T>): Promise<T | null> {
  const raw = await kv.get(name, "json");
  if (raw === null) return null;
  const parsed = schema.safeParse(raw);
  // A record that does not parse is treated as absent: every check fails closed.
  return parsed.success ? parsed.data : null;
}

const inSeconds = (now: number, seconds: number) => new Date(now + seconds * 1000).toISOString();

// ---------------------------------------------------------------------------------------------------
// Clients and connect codes (written by the CLI, read here)

export function readClient(kv: KVNamespace, clientId: string): Promise<ClientRecord | null> {
  return readJson(kv, kvName.client(clientId), clientRecordSchema);
}

export async function readConnectCode(kv: KVNamespace, tenant: string, codeHash: string): Promise<ConnectCodeRecord | null> {
  const record = await readJson(kv, kvName.connect(tenant, codeHash), connectCodeRecordSchema);
  return record !== null && record.tenant === tenant ? record : null;
}

export function deleteConnectCode(kv: KVNamespace, tenant: string, codeHash: string): Promise<void> {
  return kv.delete(kvName.connect(tenant, codeHash));
}

// ---------------------------------------------------------------------------------------------------
// Authorization codes

export async function writeAuthorizationCode(kv: KVNamespace, codeHash: string, record: AuthorizationCodeRecord): Promise<void> {
  const seconds = (Date.parse(record.expiresAt) - Date.now()) / 1000;
  await kv.put(kvName.code(codeHash), JSON.stringify(record), { expirationTtl: kvTtlSeconds(seconds) });
}

export function readAuthorizationCode(kv: KVNamespace, codeHash: string): Promise<AuthorizationCodeRecord | null> {
  return readJson(kv, kvName.code(codeHash), authorizationCodeRecordSchema);
}

// ---------------------------------------------------------------------------------------------------
// Access tokens: what the SCIM auth path reads, through a per-isolate cache like API keys.

const accessCache = new TtlCache<AccessRecord>(1000);

export async function readAccessToken(kv: KVNamespace, hash: string, cacheSeconds: number): Promise<AccessRecord | null> {
  const cached = accessCache.get(hash);
  if (cached) return cached;
  const record = await readJson(kv, kvName.access(hash), accessRecordSchema);
  if (record === null) return null;
  // Never cached past the token's own expiry.
  const ttl = Math.min(cacheSeconds * 1000, Date.parse(record.expiresAt) - Date.now());
  accessCache.set(hash, record, ttl);
  return record;
}

const owner = (record: { tenant: string; clientId: string }) => ({ tenant: record.tenant, clientId: record.clientId });

async function putAccessToken(kv: KVNamespace, hash: string, record: AccessRecord): Promise<void> {
  await kv.put(kvName.access(hash), JSON.stringify(record), { expirationTtl: ACCESS_TOKEN_SECONDS, metadata: owner(record) });
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  grantId: string | null;
}

/** client_credentials (RFC 6749 §4.4.3): an access token only, no refresh token and no grant. */
export async function issueClientToken(kv: KVNamespace, client: ClientRecord, now = Date.now()): Promise<IssuedTokens> {
  const accessToken = newAccessToken();
  await putAccessToken(kv, await tokenHash(accessToken), {
    tenant: client.tenant,
    clientId: client.clientId,
    grantId: null,
    expiresAt: inSeconds(now, ACCESS_TOKEN_SECONDS),
  });
  return { accessToken, refreshToken: null, grantId: null };
}

async function writePair(kv: KVNamespace, grant: Pick<GrantRecord, "grantId" | "tenant" | "clientId">, now: number) {
  const accessToken = newAccessToken();
  const refreshToken = newRefreshToken();
  const [accessHash, refreshHash] = await Promise.all([tokenHash(accessToken), tokenHash(refreshToken)]);
  const refresh: RefreshRecord = { ...grant, expiresAt: inSeconds(now, REFRESH_TOKEN_SECONDS) };
  await Promise.all([
    putAccessToken(kv, accessHash, { ...grant, expiresAt: inSeconds(now, ACCESS_TOKEN_SECONDS) }),
    kv.put(kvName.refresh(refreshHash), JSON.stringify(refresh), { expirationTtl: REFRESH_TOKEN_SECONDS, metadata: owner(grant) }),
  ]);
  return { accessToken, refreshToken, accessHash, refreshHash };
}

async function putGrant(kv: KVNamespace, grant: GrantRecord): Promise<void> {
  await kv.put(kvName.grant(grant.grantId), JSON.stringify(grant), { expirationTtl: REFRESH_TOKEN_SECONDS, metadata: owner(grant) });
}

/** authorization_code: a new grant (id chosen by the caller, who records it on the code first) with its first pair. */
export async function issueGrant(kv: KVNamespace, client: ClientRecord, grantId: string, now = Date.now()): Promise<IssuedTokens> {
  const identity = { grantId, tenant: client.tenant, clientId: client.clientId };
  const pair = await writePair(kv, identity, now);
  await putGrant(kv, { ...identity, accessHash: pair.accessHash, refreshHash: pair.refreshHash, createdAt: new Date(now).toISOString() });
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, grantId: identity.grantId };
}

export function readRefreshToken(kv: KVNamespace, hash: string): Promise<RefreshRecord | null> {
  return readJson(kv, kvName.refresh(hash), refreshRecordSchema);
}

export function readGrant(kv: KVNamespace, grantId: string): Promise<GrantRecord | null> {
  return readJson(kv, kvName.grant(grantId), grantRecordSchema);
}

/**
 * Refresh-token rotation: a new pair replaces the grant's current one; the previous access token is
 * deleted (the client holds the new one) so a grant has one live access token, and revoking the grant
 * reaches it. The previous refresh record stays, pointing at the grant, so its reuse is recognised.
 */
export async function rotateGrant(kv: KVNamespace, grant: GrantRecord, now = Date.now()): Promise<IssuedTokens> {
  const pair = await writePair(kv, grant, now);
  await putGrant(kv, { ...grant, accessHash: pair.accessHash, refreshHash: pair.refreshHash });
  await kv.delete(kvName.access(grant.accessHash));
  accessCache.clear();
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, grantId: grant.grantId };
}

/** Ends a grant: its live access token first (what SCIM reads), then its refresh token, then the grant. */
export async function revokeGrant(kv: KVNamespace, grantId: string): Promise<void> {
  const grant = await readGrant(kv, grantId);
  if (grant !== null) {
    await kv.delete(kvName.access(grant.accessHash));
    await kv.delete(kvName.refresh(grant.refreshHash));
  }
  await kv.delete(kvName.grant(grantId));
  accessCache.clear();
}

export async function readAccessTokenUncached(kv: KVNamespace, hash: string): Promise<AccessRecord | null> {
  return readJson(kv, kvName.access(hash), accessRecordSchema);
}

export async function deleteAccessToken(kv: KVNamespace, hash: string): Promise<void> {
  await kv.delete(kvName.access(hash));
  accessCache.clear();
}
