// The `changed` list of *.updated events: which attributes differ between two stored resources.
// Complex singular attributes (name) and extension schemas are named down to their sub-attributes
// ("name.givenName", "urn:...:enterprise:2.0:User:department"); multi-valued attributes as a whole ("emails").

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values, insensitive to object key order. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!jsonEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

function unionKeys(a: Record<string, Json>, b: Record<string, Json>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function subPaths(prefix: string, separator: string, before: Record<string, Json>, after: Record<string, Json>): string[] {
  return unionKeys(before, after)
    .filter((key) => !jsonEqual(before[key], after[key]))
    .map((key) => `${prefix}${separator}${key}`);
}

/** Attribute paths that differ between `before` and `after` (stored resources without id/meta), sorted. */
export function changedAttributes(before: Record<string, Json>, after: Record<string, Json>): string[] {
  const out: string[] = [];
  for (const key of unionKeys(before, after)) {
    const a = before[key];
    const b = after[key];
    if (jsonEqual(a, b)) continue;
    if (isObject(a) && isObject(b)) out.push(...subPaths(key, key.startsWith("urn:") ? ":" : ".", a, b));
    else out.push(key);
  }
  return out.sort();
}

/** The events a user update emits, in order: attributes, then lifecycle, then password. */
export function userUpdateEvents(
  before: Record<string, Json>,
  after: Record<string, Json>,
  passwordChanged: boolean,
): { type: "user.updated" | "user.deactivated" | "user.reactivated" | "user.password_changed"; changed?: string[] }[] {
  const out: ReturnType<typeof userUpdateEvents> = [];
  const changed = changedAttributes(before, after).filter((path) => path !== "active");
  if (changed.length > 0) out.push({ type: "user.updated", changed });
  const wasActive = before.active !== false;
  const isActive = after.active !== false;
  if (wasActive && !isActive) out.push({ type: "user.deactivated" });
  if (!wasActive && isActive) out.push({ type: "user.reactivated" });
  if (passwordChanged) out.push({ type: "user.password_changed" });
  return out;
}
