// What the OAuth server keeps in KV, and under which names. Every record holds hashes, never a token.
//
//   oauth:client:<clientId>             client (secret hash, tenant, redirect URIs); metadata: all but the hash
//   oauth:connect:<tenant>:<codeHash>   one-time connect code, deleted on use
//   oauth:code:<codeHash>               authorization code; kept after use to detect replays (RFC 6749 §4.1.2)
//   oauth:grant:<grantId>               one approval: the hashes of its live access and refresh token
//   oauth:refresh:<tokenHash>           refresh token -> grant; old ones stay (until TTL) to detect reuse
//   oauth:access:<tokenHash>            access token -> tenant; the one KV read of the SCIM auth path
//
// Grants and tokens carry {tenant, clientId} as KV metadata so the CLI can find a client's entries by
// listing, without reading values.
import { z } from "zod";
import { TENANT_SLUG_PATTERN } from "../keys/token.ts";
import { CLIENT_ID_PATTERN } from "./tokens.ts";

const hash = z.string().regex(/^[0-9a-f]{64}$/);
const tenant = z.string().regex(TENANT_SLUG_PATTERN);
const clientId = z.string().regex(CLIENT_ID_PATTERN);
const grantId = z.string().regex(/^[a-z2-7]{16}$/);
const isoTime = z.string();

export const clientRecordSchema = z.object({
  clientId,
  tenant,
  name: z.string().max(200),
  secretHash: hash,
  redirectUris: z.array(z.string()).min(1).max(10),
  requirePkce: z.boolean(),
  createdAt: isoTime,
  revokedAt: isoTime.nullable(),
});
export type ClientRecord = z.infer<typeof clientRecordSchema>;
export type ClientMetadata = Omit<ClientRecord, "secretHash">;

export const connectCodeRecordSchema = z.object({ tenant, expiresAt: isoTime });
export type ConnectCodeRecord = z.infer<typeof connectCodeRecordSchema>;

export const authorizationCodeRecordSchema = z.object({
  clientId,
  tenant,
  redirectUri: z.string(),
  /** RFC 6749 §4.1.3: the token request must repeat redirect_uri when the authorization request had one. */
  redirectUriGiven: z.boolean(),
  codeChallenge: z.string().nullable(),
  expiresAt: isoTime,
  /** Set on first exchange; a second exchange is a replay and revokes this grant. */
  grantId: grantId.nullable(),
});
export type AuthorizationCodeRecord = z.infer<typeof authorizationCodeRecordSchema>;

export const grantRecordSchema = z.object({
  grantId,
  tenant,
  clientId,
  accessHash: hash,
  refreshHash: hash,
  createdAt: isoTime,
});
export type GrantRecord = z.infer<typeof grantRecordSchema>;

export const refreshRecordSchema = z.object({ grantId, tenant, clientId, expiresAt: isoTime });
export type RefreshRecord = z.infer<typeof refreshRecordSchema>;

export const accessRecordSchema = z.object({ tenant, clientId, grantId: grantId.nullable(), expiresAt: isoTime });
export type AccessRecord = z.infer<typeof accessRecordSchema>;

/** KV metadata of grants and tokens: enough for the CLI to find a client's entries. */
export const ownerMetadataSchema = z.object({ tenant, clientId });

export const kvName = {
  client: (id: string) => `oauth:client:${id}`,
  connect: (slug: string, codeHash: string) => `oauth:connect:${slug}:${codeHash}`,
  code: (codeHash: string) => `oauth:code:${codeHash}`,
  grant: (id: string) => `oauth:grant:${id}`,
  refresh: (tokenHash: string) => `oauth:refresh:${tokenHash}`,
  access: (tokenHash: string) => `oauth:access:${tokenHash}`,
};

export const CLIENT_PREFIX = "oauth:client:";
/** Every entry that belongs to a client's grants: grants, refresh and access tokens. */
export const TOKEN_PREFIXES = ["oauth:grant:", "oauth:refresh:", "oauth:access:"] as const;

export function clientMetadata(record: ClientRecord): ClientMetadata {
  const { secretHash: _secretHash, ...metadata } = record;
  return metadata;
}

/** KV expirations are absolute seconds and at least 60 s ahead (Cloudflare's minimum). */
export function kvTtlSeconds(seconds: number): number {
  return Math.max(60, Math.ceil(seconds));
}
