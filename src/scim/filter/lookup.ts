// Whether a filter is a lookup of one resource by a key: what identity providers send before they create or
// update (`userName eq "x"`, `externalId eq "x"`, `displayName eq "x"`). Such a filter matches a handful of
// rows at most, so storage may read what the response needs beside each row in the same statement.
import type { ResolvedFilter } from "./resolved.ts";

/** True for `<key> eq "<value>"`, with `<key>` one of `keys` (canonical names of top-level core attributes). */
export function isKeyLookup(filter: ResolvedFilter, keys: readonly string[]): boolean {
  return (
    filter.kind === "compare" &&
    filter.op === "eq" &&
    typeof filter.value === "string" &&
    !filter.path.extension &&
    filter.path.subAttribute === undefined &&
    keys.includes(filter.path.canonical)
  );
}
