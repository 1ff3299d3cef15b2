// PKCE (RFC 7636). Only S256: `plain` protects nothing against a code intercepted with its request,
// and OAuth 2.1 drops it; a client asking for it gets invalid_request rather than a weaker check.
import { bytesToBase64url } from "../util/base64.ts";

/** RFC 7636 §4.1/§4.2: 43-128 characters of the unreserved set. */
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

export const isPkceValue = (text: string) => PKCE_VALUE.test(text);

export async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return bytesToBase64url(new Uint8Array(digest));
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge. */
export async function verifierMatches(verifier: string, challenge: string): Promise<boolean> {
  if (!isPkceValue(verifier)) return false;
  return (await s256(verifier)) === challenge;
}
