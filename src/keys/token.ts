// API token format and hashing, shared by the worker and the key CLI (both have WebCrypto).
// Token: scim_<keyId>_<secret>; secret = 32 random bytes, base64url. Only SHA-256(secret) is stored:
// the secret has 256 bits of entropy, so a fast hash is safe and keeps auth cheap per request.
import { z } from "zod";
import { bytesToBase64url } from "../util/base64.ts";

export const KEY_ID_PATTERN = /^[a-z2-7]{16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const KEY_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

export const TENANT_SLUG_PATTERN = /^[a-z0-9-]{2,63}$/;

export interface ParsedToken {
  keyId: string;
  secret: string;
}

export function newKeyId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // 256 is a multiple of 32, so masking to 5 bits is unbiased.
  return Array.from(bytes, (b) => KEY_ID_ALPHABET[b & 31]).join("");
}

export function newToken(keyId = newKeyId()): ParsedToken & { token: string } {
  const secret = bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)));
  return { keyId, secret, token: `scim_${keyId}_${secret}` };
}

export function parseToken(token: string): ParsedToken | null {
  if (!token.startsWith("scim_")) return null;
  const keyId = token.slice(5, 21);
  if (token[21] !== "_") return null;
  const secret = token.slice(22);
  if (!KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) return null;
  return { keyId, secret };
}

export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two equal-length hex digests without an early exit. */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/**
 * `scim`: the identity provider's key (SCIM routes only). `app`: the application's key, which may also use the
 * application API under /v1 (events, password checks).
 */
export const KEY_SCOPES = ["scim", "app"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** What KV holds under `key:<keyId>`. The KV metadata holds the same minus `hash`, for listing. */
export const keyRecordSchema = z.object({
  keyId: z.string().regex(KEY_ID_PATTERN),
  tenant: z.string().regex(TENANT_SLUG_PATTERN),
  label: z.string().max(200),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  organization: z.string().nullable(),
  // Records written before scopes existed are identity-provider keys.
  scope: z.enum(KEY_SCOPES).default("scim"),
  // ISO 8601 instants. A record whose timestamps do not parse is no key at all (readKey treats it as absent):
  // Date.parse of a malformed revokedAt is NaN, which no comparison finds past, so the key stayed active.
  createdAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
  // A future revokedAt is a rotation grace period: the key works until then.
  revokedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;
export type KeyMetadata = Omit<KeyRecord, "hash">;

export const kvKeyName = (keyId: string) => `key:${keyId}`;

export function keyMetadata(record: KeyRecord): KeyMetadata {
  const { hash: _hash, ...metadata } = record;
  return metadata;
}

export type KeyState = "active" | "expired" | "revoked" | "revoking";

export function keyState(record: Pick<KeyRecord, "expiresAt" | "revokedAt">, now = Date.now()): KeyState {
  // Fails closed should a timestamp that is no instant get past the schema: a revocation or expiry nobody can
  // read is taken as already past.
  const past = (at: string) => !(Date.parse(at) > now);
  if (record.revokedAt && past(record.revokedAt)) return "revoked";
  if (record.expiresAt && past(record.expiresAt)) return "expired";
  if (record.revokedAt) return "revoking";
  return "active";
}

export async function newKeyRecord(input: {
  tenant: string;
  label: string;
  organization: string | null;
  expiresInDays: number | null;
  scope?: KeyScope;
  now?: Date;
}): Promise<{ token: string; record: KeyRecord }> {
  const now = input.now ?? new Date();
  const { keyId, secret, token } = newToken();
  const record: KeyRecord = {
    keyId,
    tenant: input.tenant,
    label: input.label,
    hash: await hashSecret(secret),
    organization: input.organization,
    scope: input.scope ?? "scim",
    createdAt: now.toISOString(),
    expiresAt: input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString(),
    revokedAt: null,
  };
  return { token, record };
}
