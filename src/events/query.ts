// Query parameters of GET /v1/events, validated before anything is read.
import { badRequest } from "../scim/errors.ts";
import { EVENT_TYPES, type EventType } from "./types.ts";

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

export interface EventsQuery {
  after: string | undefined;
  limit: number;
  /** Null: every type. */
  types: Set<EventType> | null;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_EVENTS_LIMIT;
  if (!/^(0|[1-9][0-9]{0,3})$/.test(text) || Number(text) > MAX_EVENTS_LIMIT) {
    throw badRequest("invalidValue", `limit must be an integer from 0 to ${MAX_EVENTS_LIMIT}, got ${JSON.stringify(text)}.`);
  }
  return Number(text);
}

/** `user.*,group.members_added`: exact types or a `<resource>.*` family; anything else is a 400. */
export function parseTypes(text: string | undefined): Set<EventType> | null {
  if (text === undefined) return null;
  const out = new Set<EventType>();
  for (const raw of text.split(",")) {
    const name = raw.trim();
    const family = /^(user|group)\.\*$/.exec(name);
    const matched = family ? EVENT_TYPES.filter((t) => t.startsWith(`${family[1]}.`)) : EVENT_TYPES.filter((t) => t === name);
    if (matched.length === 0) {
      throw badRequest("invalidValue", `types: unknown event type ${JSON.stringify(name)}; use ${EVENT_TYPES.join(", ")}, user.* or group.*.`);
    }
    for (const t of matched) out.add(t);
  }
  return out;
}

export function parseEventsQuery(get: (name: string) => string | undefined): EventsQuery {
  const after = get("after");
  if (after === "") throw badRequest("invalidCursor", "after is empty: leave it out to start at the oldest retained event.");
  return { after, limit: parseLimit(get("limit")), types: parseTypes(get("types")) };
}
