// OAuth credentials and their hashes, shared by the worker and the OAuth CLI (both have WebCrypto).
// Every token carries 256 random bits, so a fast hash (SHA-256) is safe and KV is keyed by that hash:
// a lookup is one KV read, and the stored value never contains the token.
import { hashSecret, newKeyId } from "../keys/token.ts";
import { bytesToBase64url } from "../util/base64.ts";

/** Prefixes tell the SCIM auth path which store to ask before any read (API keys start with `scim_`). */
export const ACCESS_TOKEN_PREFIX = "scimoa_";
export const REFRESH_TOKEN_PREFIX = "scimor_";
export const CLIENT_SECRET_PREFIX = "scimcs_";

export const CLIENT_ID_PATTERN = /^oc_[a-z2-7]{16}$/;
const RANDOM_PART = /^[A-Za-z0-9_-]{43}$/;

export const ACCESS_TOKEN_SECONDS = 3600;
/** A refresh token lives this long unused; every refresh issues a new one with a fresh lifetime. */
export const REFRESH_TOKEN_SECONDS = 90 * 86_400;
/** RFC 6749 §4.1.2 asks for a short code life (10 minutes at most). */
export const AUTHORIZATION_CODE_SECONDS = 300;
export const CONNECT_CODE_SECONDS = 15 * 60;

function random256(): string {
  return bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

export const newClientId = () => `oc_${newKeyId()}`;
export const newClientSecret = () => `${CLIENT_SECRET_PREFIX}${random256()}`;
export const newAccessToken = () => `${ACCESS_TOKEN_PREFIX}${random256()}`;
export const newRefreshToken = () => `${REFRESH_TOKEN_PREFIX}${random256()}`;
export const newAuthorizationCode = () => random256();
export const newGrantId = () => newKeyId();

/** Whether the text has the shape of a token with this prefix (cheap check before hashing or reading). */
export function hasTokenShape(text: string, prefix: string): boolean {
  return text.startsWith(prefix) && RANDOM_PART.test(text.slice(prefix.length));
}

export const isAccessToken = (text: string) => hasTokenShape(text, ACCESS_TOKEN_PREFIX);

/** SHA-256 hex of the whole token: the KV key part and the only thing stored. */
export const tokenHash = (token: string) => hashSecret(token);

// Connect codes are typed by a person: 8 characters from an alphabet without look-alikes (no I, O, 0, 1),
// 40 bits, shown as XXXX-XXXX. Guessing is bounded by the attempt limit on the authorization page.
const CONNECT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export function newConnectCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  // 256 is a multiple of 32, so masking to 5 bits is unbiased.
  const chars = Array.from(bytes, (b) => CONNECT_ALPHABET[b & 31]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** What the person typed, in canonical form: case, spaces and dashes do not matter. */
export function normalizeConnectCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]+/g, "");
}
