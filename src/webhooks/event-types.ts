// An endpoint's event-type filter: `user.*,group.members_added` as the events API's `types` takes it, stored
// expanded (comma-separated exact types) so matching is a set lookup; null = every type.
import { parseTypes } from "../events/query.ts";
import { EVENT_TYPES, type EventType } from "../events/types.ts";
import { ScimError } from "../scim/errors.ts";

/** The stored form, or a one-line reason the filter is not acceptable. */
export function parseEndpointTypes(text: string | undefined): { types: string | null } | { problem: string } {
  if (text === undefined) return { types: null };
  try {
    const set = parseTypes(text);
    if (set === null || set.size === EVENT_TYPES.length) return { types: null };
    return { types: EVENT_TYPES.filter((t) => set.has(t)).join(",") };
  } catch (error) {
    if (error instanceof ScimError) return { problem: error.message.replace(/^types: /, "--types: ") };
    throw error;
  }
}

export function endpointWants(types: string | null, type: string): boolean {
  return types === null || types.split(",").includes(type as EventType);
}
