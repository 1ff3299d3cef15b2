// Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` is a space-separated
// list of `v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>`, one per active secret, so
// during a rotation grace period a receiver holding either secret verifies. The key is the base64 part of the
// `whsec_...` secret, decoded. WebCrypto only: the worker and the Node CLI (`webhooks test`) both sign here.

export const SECRET_PREFIX = "whsec_";
/** 32 random bytes: as much entropy as an HMAC-SHA256 key can use. */
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{43}=$/;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

export function isSigningSecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

async function sign(secret: string, content: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey("raw", fromBase64(secret.slice(SECRET_PREFIX.length)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)));
}

/** The `webhook-signature` value: one `v1,` signature per secret, space-separated, newest secret first. */
export async function signatureHeader(secrets: readonly string[], webhookId: string, timestamp: number, body: string): Promise<string> {
  if (secrets.length === 0) throw new Error("no signing secret");
  const content = new Uint8Array(new TextEncoder().encode(`${webhookId}.${timestamp}.${body}`));
  const signatures = await Promise.all(secrets.map(async (secret) => `v1,${await sign(secret, content)}`));
  return signatures.join(" ");
}
