// Events API cursors: opaque to clients, bound to the tenant that issued them. A cursor names the last event
// the client has seen (0 = before the first). Binding the tenant lets a cursor used against another tenant
// be refused as foreign (400) instead of silently meaning a position in someone else's feed.
import { badRequest } from "../scim/errors.ts";
import { base64urlToText, textToBase64url } from "../util/base64.ts";

const PREFIX = "ev1";

function toBase64url(text: string): string {
  return textToBase64url(text);
}

export function encodeEventCursor(tenant: string, eventId: number): string {
  return toBase64url(`${PREFIX}:${tenant}:${eventId}`);
}

const invalid = () =>
  badRequest("invalidCursor", "The cursor is not one this tenant's events API issued; start again without `after` or from a head cursor (`limit=0`).");

/** The event id a cursor names; 400 invalidCursor when malformed or issued for another tenant. */
export function decodeEventCursor(cursor: string, tenant: string): number {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const text = base64urlToText(cursor);
  if (text === undefined) throw invalid();
  const match = /^ev1:([a-z0-9-]{2,63}):(0|[1-9][0-9]{0,14})$/.exec(text);
  if (!match || match[1] !== tenant) throw invalid();
  return Number(match[2]);
}
