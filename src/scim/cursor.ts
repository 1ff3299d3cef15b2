// Cursors for RFC 9865 cursor paging. A cursor is a keyset position, not server state: the sort value and
// seq of the row the page starts after (or before), so a page from it reads about `count` rows at any
// depth and the server keeps nothing per cursor (RFC 9865 §7 asks that cursors cost no resources).
//
// Wire form: base64url(iv || AES-256-GCM(payload)), only RFC 3986 unreserved characters. The key is derived
// (HKDF-SHA-256) from the Worker secret CURSOR_SECRET. AES-GCM is authenticated encryption: its tag is a
// keyed MAC over the payload and over the scope given as additional data (tenant, endpoint, filter, sortBy,
// sortOrder), so
// - a cursor replayed with another query or tenant, truncated, edited or forged is a 400 invalidCursor,
//   never a wrong page or a 500: without the secret nobody can make one the server accepts, so `issued`
//   cannot be forged to keep a cursor alive past cursorTimeout;
// - the payload (which holds the sort value of a row: a folded userName, personal data, travelling in
//   GET URLs and so in proxy logs) is not readable from the URL.
import { badRequest } from "./errors.ts";
import { base64urlToBytes, bytesToBase64url } from "../util/base64.ts";

/** Seconds a cursor stays valid between page requests; advertised as pagination.cursorTimeout. */
export const CURSOR_TIMEOUT_SECONDS = 3600;

const VERSION = 1;

export interface CursorPosition {
  /** The sort value of the row (null: the row has none), or its seq again in creation order. */
  key: string | number | null;
  seq: number;
}

export interface Cursor {
  /** "next": the page after `position`; "previous": the page before it. */
  direction: "next" | "previous";
  position: CursorPosition;
  /** On the server root (`POST /.search`): the resource type `position` belongs to. */
  resourceType?: string;
}

/** What a cursor is valid for. */
export interface CursorScope {
  tenantId: number;
  /** "/Users", "/Groups" or "/" (the root search). */
  endpoint: string;
  filter: string | undefined;
  sortBy: string | null;
  descending: boolean;
}

const UNRESERVED = /^[A-Za-z0-9_-]+$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export async function encodeCursor(cursor: Cursor, scope: CursorScope, nowSeconds: number, secret: string): Promise<string> {
  const payload = JSON.stringify([VERSION, cursor.direction === "next" ? 1 : 0, cursor.position.key, cursor.position.seq, cursor.resourceType ?? null, nowSeconds]);
  return sealCursorPayload(payload, scope, secret);
}

/**
 * Encrypts and authenticates any payload for `scope`. encodeCursor's helper, exported so tests can make
 * cursors the server's key accepts but whose payload is not one it wrote.
 */
export async function sealCursorPayload(payload: string, scope: CursorScope, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: scopeBytes(scope), tagLength: TAG_BYTES * 8 },
    await cursorKey(secret),
    new TextEncoder().encode(payload),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return bytesToBase64url(out);
}

/** The cursor in `text`, or null for an empty one (the first page). Throws invalidCursor / expiredCursor. */
export async function decodeCursor(text: string, scope: CursorScope, nowSeconds: number, secret: string): Promise<Cursor | null> {
  if (text === "") return null;
  if (text.length > 2048 || !UNRESERVED.test(text) || text.length % 4 === 1) throw invalidCursor();
  const bytes = base64urlToBytes(text);
  if (bytes === undefined || bytes.length <= IV_BYTES + TAG_BYTES) throw invalidCursor();
  let payload: string;
  let parsed: unknown;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: scopeBytes(scope), tagLength: TAG_BYTES * 8 },
      await cursorKey(secret),
      bytes.slice(IV_BYTES),
    );
    payload = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(opened);
    parsed = JSON.parse(payload);
  } catch {
    // A wrong tag (forged, edited, another scope or key), or a payload that is not UTF-8 JSON.
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) throw invalidCursor();
  const [version, next, key, seq, resourceType, issued] = parsed as unknown[];
  const validKey = key === null || typeof key === "string" || typeof key === "number";
  if (version !== VERSION || (next !== 0 && next !== 1) || !validKey || !Number.isSafeInteger(seq) || !Number.isSafeInteger(issued)) {
    throw invalidCursor();
  }
  if (resourceType !== null && typeof resourceType !== "string") throw invalidCursor();
  if (nowSeconds - (issued as number) > CURSOR_TIMEOUT_SECONDS) {
    throw badRequest(
      "expiredCursor",
      `The cursor has expired: a cursor is valid for ${CURSOR_TIMEOUT_SECONDS} seconds after the response that carried it ` +
        `(ServiceProviderConfig pagination.cursorTimeout). Start over with an empty cursor.`,
    );
  }
  return {
    direction: next === 1 ? "next" : "previous",
    position: { key: key as string | number | null, seq: seq as number },
    ...(typeof resourceType === "string" ? { resourceType } : {}),
  };
}

function invalidCursor() {
  return badRequest(
    "invalidCursor",
    "The cursor is not one this server returned for this query: send the nextCursor or previousCursor of the previous " +
      "response unchanged, with the same filter, sortBy and sortOrder, or an empty cursor for the first page.",
  );
}

function scopeBytes(scope: CursorScope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([scope.tenantId, scope.endpoint, scope.filter ?? null, scope.sortBy, scope.descending]));
}

// Derived once per secret per isolate: importKey and HKDF per request would be wasted work.
const keys = new Map<string, Promise<CryptoKey>>();

function cursorKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode("edge-scim cursor v1") },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(secret, key);
  }
  return key;
}


