// User passwords (the write-only `password` attribute, RFC 7643 §4.1.1): stored as a salted, slow hash.
// Unlike API tokens (256 random bits, where a fast hash is right), passwords are low-entropy and need a
// work factor. WebCrypto PBKDF2-HMAC-SHA-256 is the only slow KDF workerd offers without node:crypto, and
// it is capped at 100k iterations, so the hash is also peppered: PBKDF2 runs over HMAC-SHA-256(pepper,
// password), the pepper being the Worker secret PASSWORD_PEPPER, which is not in D1. A copy of the database
// alone (a backup, a leaked export) then gives an attacker nothing to guess passwords against.
// The encoding names its scheme and carries its parameters, so the work factor can change and hashes made
// before the pepper still verify:
//   pbkdf2-sha256-peppered$<iterations>$<salt, base64>$<hash, base64>   (current)
//   pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>            (before the pepper; verify only)
// Changing PASSWORD_PEPPER makes every peppered hash fail to verify: it is set once per environment.
import { base64ToBytes, bytesToBase64 } from "../util/base64.ts";

/**
 * Cloudflare's production runtime rejects PBKDF2 above 100,000 iterations ("Pbkdf2 failed: iteration counts
 * above 100000 are not supported"; cloudflare/workerd#1346). Local workerd has lifted that default, so tests
 * passing locally with more would fail in production: 100,000 is the most that works everywhere.
 * (Below OWASP's 600,000 for PBKDF2-SHA-256; nothing stronger is available on Workers today.)
 */
export const PBKDF2_ITERATIONS = 100_000;

export const SCHEME = "pbkdf2-sha256-peppered";
/** Hashes written before the pepper: still verified, and worth replacing (needsRehash) on the next check. */
export const LEGACY_SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export async function hashPassword(password: string, pepper: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(await peppered(password, pepper), salt, PBKDF2_ITERATIONS);
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${bytesToBase64(salt)}$${bytesToBase64(hash)}`;
}

/** Whether a hash that verified should be replaced by hashPassword's: made before the pepper, or with fewer iterations. */
export function needsRehash(encoded: string): boolean {
  const [scheme, iterations] = encoded.split("$");
  return scheme !== SCHEME || iterations !== String(PBKDF2_ITERATIONS);
}

/**
 * False for a wrong password and for anything that is not a well-formed hash of this scheme. Iteration
 * counts above PBKDF2_ITERATIONS are refused rather than derived: production would throw on them, and a
 * tampered row must not buy unbounded CPU.
 */
export async function verifyPassword(password: string, encoded: string, pepper: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 4 || (parts[0] !== SCHEME && parts[0] !== LEGACY_SCHEME)) return false;
  const [, iterationsText = "", saltText = "", hashText = ""] = parts;
  if (!/^[1-9]\d{0,6}$/.test(iterationsText)) return false;
  const iterations = Number(iterationsText);
  if (iterations > PBKDF2_ITERATIONS) return false;
  const salt = base64ToBytes(saltText);
  const expected = base64ToBytes(hashText);
  if (!salt || salt.length === 0 || !expected || expected.length !== HASH_BYTES) return false;
  // Copied into a fresh Uint8Array: TextEncoder's result is typed over any ArrayBuffer-like (Node's types), WebCrypto takes an ArrayBuffer's.
  const input = parts[0] === SCHEME ? await peppered(password, pepper) : new Uint8Array(new TextEncoder().encode(password));
  const actual = await derive(input, salt, iterations);
  return constantTimeEqual(actual, expected);
}

/** HMAC-SHA-256(pepper, password): what PBKDF2 stretches. */
async function peppered(password: string, pepper: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(password)));
}

async function derive(input: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", input, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BYTES * 8);
  return new Uint8Array(bits);
}

/** Equal-length byte arrays compared without an early exit, so timing does not reveal the matching prefix. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}


