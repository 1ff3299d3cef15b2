// The change feed's vocabulary (pure: no Hono, no D1). The event JSON is a contract with applications;
// README "Consuming changes in your application" documents every field.

export const EVENT_TYPES = [
  "user.created",
  "user.updated",
  "user.deactivated",
  "user.reactivated",
  "user.deleted",
  "user.password_changed",
  "group.created",
  "group.updated",
  "group.deleted",
  "group.members_added",
  "group.members_removed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

import type { KeyScope } from "../keys/token.ts";

/** Who made the change: the application skips the echo of its own writes by `scope`. */
export interface Actor {
  keyId: string;
  scope: KeyScope;
  userAgent: string | null;
}

/** What every event of one request shares. */
export interface EventOrigin {
  tenant: string;
  requestId: string;
  actor: Actor;
  /** The tenant's SCIM base URL, for `data.meta.location`. */
  baseUrl: string;
}

/** A membership change larger than this is split into several events. */
export const MEMBERS_PER_EVENT = 1000;

/** An event as stored: everything but `id`, which is the row's per-tenant event number. */
export type EventBody = Record<string, unknown> & { type: EventType };

export interface ResourceEventInput {
  type: EventType;
  occurredAt: string;
  resourceType: "User" | "Group";
  /** The rendered resource (renderResource): id, attributes, meta. */
  data: Record<string, unknown>;
  changed?: string[];
}

/**
 * The body of a resource event, fields in contract order. `members` and `groups` are added by storage in
 * SQL, where the exact set a batch changed is known (see src/storage/events.ts).
 */
export function eventBody(origin: EventOrigin, input: ResourceEventInput, extra: Record<string, unknown> = {}): EventBody {
  const meta = input.data.meta as { version?: unknown } | undefined;
  return {
    type: input.type,
    occurredAt: input.occurredAt,
    tenant: origin.tenant,
    resourceType: input.resourceType,
    resourceId: String(input.data.id),
    externalId: typeof input.data.externalId === "string" ? input.data.externalId : null,
    version: typeof meta?.version === "string" ? meta.version : null,
    ...(input.changed !== undefined ? { changed: input.changed } : {}),
    data: input.data,
    ...extra,
    requestId: origin.requestId,
    actor: origin.actor,
  };
}
