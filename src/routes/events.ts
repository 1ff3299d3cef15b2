// GET /v1/events: the tenant's change feed, oldest first, from a cursor. A page of `limit` events reads about
// `limit` rows at any depth (one seek of events_tenant_event), plus the tenant row and the oldest retained id.
import { Hono, type Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { decodeEventCursor, encodeEventCursor } from "../events/cursor.ts";
import { MAX_EVENTS_LIMIT, parseEventsQuery } from "../events/query.ts";
import { renderEvent } from "../events/render.ts";
import type { EventType } from "../events/types.ts";
import { badRequest, gone } from "../scim/errors.ts";
import { feedBounds, readEvents, type StoredEvent } from "../storage/repos/events.ts";

export const eventsRoutes = new Hono<AppEnv>();

const expired = () =>
  gone(
    "expiredCursor",
    "Events after this cursor have been pruned (older than the retention period), so changes would be missed. " +
      "Resynchronise: take a head cursor with GET /v1/events?limit=0, read the directory with SCIM GET /Users and /Groups, " +
      "then follow the events from that head.",
  );

function render(row: StoredEvent): Record<string, unknown> {
  return renderEvent(row.eventId, row.body);
}

async function feed(c: Context<AppEnv>): Promise<Response> {
  const query = parseEventsQuery((name) => c.req.query(name));
  const { tenant } = c.var.auth;
  const after = query.after === undefined ? undefined : decodeEventCursor(query.after, tenant.slug);
  const { head, oldest } = await feedBounds(c.var.db, tenant.id);
  if (after !== undefined && after > head) {
    throw badRequest("invalidCursor", "The cursor is ahead of this tenant's feed, so this tenant's events API did not issue it.");
  }
  // Ids are gapless, so events after the cursor were pruned exactly when the oldest retained one is further on.
  const firstRetained = oldest ?? head + 1;
  if (after !== undefined && after < firstRetained - 1) throw expired();
  const start = after ?? firstRetained - 1;
  if (query.limit === 0) return c.json({ data: [], nextCursor: encodeEventCursor(tenant.slug, head), hasMore: false });

  const data: Record<string, unknown>[] = [];
  let position = start;
  if (query.types === null) {
    const rows = await readEvents(c.var.db, tenant.id, start, query.limit);
    for (const row of rows) data.push(render(row));
    position = rows.at(-1)?.eventId ?? start;
  } else {
    // Filtered: read `limit` rows at a time and keep the matching ones, until the page is full or
    // MAX_EVENTS_LIMIT rows were looked at. A page may hold fewer than `limit` events (even none) with
    // hasMore true: the cursor moves past what was scanned, so a rare type never costs a scan of the feed.
    let scanned = 0;
    while (data.length < query.limit && scanned < MAX_EVENTS_LIMIT) {
      const want = Math.min(query.limit, MAX_EVENTS_LIMIT - scanned);
      const rows = await readEvents(c.var.db, tenant.id, position, want);
      for (const row of rows) {
        scanned++;
        position = row.eventId;
        if (query.types.has(row.type as EventType)) data.push(render(row));
        if (data.length === query.limit) break;
      }
      if (rows.length < want) break; // the end of the feed
    }
  }
  // Past the head read above means events were committed meanwhile: there may be more.
  return c.json({ data, nextCursor: encodeEventCursor(tenant.slug, position), hasMore: position !== head });
}

eventsRoutes.get("/events", feed);
allowOnly(eventsRoutes, "/events", ["GET"]);
