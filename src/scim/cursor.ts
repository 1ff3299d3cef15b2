// Cursors for RFC 9865 cursor paging. A cursor is a keyset position, not server state: the sort value and
// seq of the row the page starts after (or before), so a page from it reads about `count` rows at any
// depth and the server keeps nothing per cursor (RFC 9865 §7 asks that cursors cost no resources).
//
// Wire form: base64url(JSON payload) "." base64url(first 12 bytes of SHA-256(scope, payload)), only RFC 3986
// unreserved characters. The digest binds the cursor to the tenant and to the query that produced it (the
// endpoint, filter, sortBy, sortOrder), so a cursor replayed with another query, a truncated one or an edited
// one is a 400 invalidCursor rather than a wrong page or a 500. It is a checksum, not a secret MAC: the
// worst a client can do by forging one is start a page of its own tenant's list at a position of its choosing,
// which startIndex allows anyway.
import { badRequest } from "./errors.ts";

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

const UNRESERVED = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export async function encodeCursor(cursor: Cursor, scope: CursorScope, nowSeconds: number): Promise<string> {
  const payload = JSON.stringify([VERSION, cursor.direction === "next" ? 1 : 0, cursor.position.key, cursor.position.seq, cursor.resourceType ?? null, nowSeconds]);
  return `${base64url(new TextEncoder().encode(payload))}.${await digest(scope, payload)}`;
}

/** The cursor in `text`, or null for an empty one (the first page). Throws invalidCursor / expiredCursor. */
export async function decodeCursor(text: string, scope: CursorScope, nowSeconds: number): Promise<Cursor | null> {
  if (text === "") return null;
  if (text.length > 2048 || !UNRESERVED.test(text)) throw invalidCursor();
  const [body = "", check = ""] = text.split(".");
  let payload: string;
  try {
    payload = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64url(body));
  } catch {
    throw invalidCursor();
  }
  if ((await digest(scope, payload)) !== check) throw invalidCursor();
  const parsed: unknown = JSON.parse(payload);
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

async function digest(scope: CursorScope, payload: string): Promise<string> {
  const input = JSON.stringify([scope.tenantId, scope.endpoint, scope.filter ?? null, scope.sortBy, scope.descending, payload]);
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
  return base64url(new Uint8Array(hash).slice(0, 12));
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
