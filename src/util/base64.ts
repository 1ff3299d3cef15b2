// Base64 (RFC 4648 §4) and base64url without padding (§5), for tokens, cursors and hashes. One place, so every
// token and cursor uses the same alphabet and the same strictness. Used by the worker and the Node tools alike.

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function bytesToBase64url(bytes: Uint8Array): string {
  return toUrlAlphabet(bytesToBase64(bytes));
}

/** Text (Latin-1 code units, as btoa takes them) as unpadded base64url. */
export function textToBase64url(text: string): string {
  return toUrlAlphabet(btoa(text));
}

/** Padded standard base64 to bytes; undefined for anything else (no whitespace, no url alphabet). */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Unpadded base64url to its binary string; undefined when it is not base64url. */
export function base64urlToText(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  try {
    return atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
}

/** Unpadded base64url to bytes; undefined when it is not base64url. */
export function base64urlToBytes(text: string): Uint8Array | undefined {
  const binary = base64urlToText(text);
  return binary === undefined ? undefined : Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toUrlAlphabet(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
