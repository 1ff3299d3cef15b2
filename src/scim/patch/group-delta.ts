// A PATCH's `members` operations folded, in request order, into one set-level change. Storage then applies
// it as a few set-based statements whose cost grows with the members named, never with the group's size;
// folding first is what makes "remove X, then add X" in one request net out exactly as the RFC orders it.
import type { ResolvedFilter } from "../filter/resolved.ts";
import { badRequest } from "../errors.ts";
import type { PatchOperation } from "./index.ts";

export type MemberType = "User" | "Group";

export interface MemberDelta {
  /** Every current member not in `add` goes: a replace of the whole list, or a remove of all members. */
  clear: boolean;
  /** Members to insert (present ones stay as they are). The type is undefined when the client gave none. */
  add: Map<string, MemberType | undefined>;
  /** Members to delete; only used when not `clear`. */
  remove: Set<string>;
}

export function emptyDelta(): MemberDelta {
  return { clear: false, add: new Map(), remove: new Set() };
}

/** A delta that changes no member: the PATCH had no members operation. */
export function isEmptyDelta(delta: MemberDelta): boolean {
  return !delta.clear && delta.add.size === 0 && delta.remove.size === 0;
}

export function isMembersOperation(op: PatchOperation): boolean {
  return !op.target.extension && op.target.attribute === "members";
}

export function foldMemberOperations(operations: PatchOperation[]): MemberDelta {
  const delta = emptyDelta();
  for (const op of operations) foldOne(delta, op);
  return delta;
}

/** The members of a POST/PUT body (already validated by normalizeResource) as a delta replacing all members. */
export function replaceAllDelta(members: unknown[]): MemberDelta {
  const delta = emptyDelta();
  delta.clear = true;
  members.forEach((element, i) => {
    const member = memberOf(element, `members[${i}]`);
    delta.add.set(member.value, member.type);
  });
  return delta;
}

function foldOne(delta: MemberDelta, op: PatchOperation): void {
  const where = `Operations[${op.index}] (${op.op} ${op.pathless ? "without path" : JSON.stringify(op.target.text)})`;
  const { valueFilter, subAttribute } = op.target;
  if (subAttribute !== undefined) {
    // value, $ref and type are immutable and display is computed: a member is added or removed whole.
    throw badRequest("mutability", `${where}: "members.${subAttribute}" cannot be changed; add or remove whole members instead`);
  }
  if (op.op === "remove") {
    if (valueFilter !== undefined) {
      for (const id of idsSelectedBy(valueFilter.filter, valueFilter.text, where)) removeOne(delta, id);
    } else if (Array.isArray(op.value)) {
      // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes exactly the listed members.
      op.value.forEach((element, i) => removeOne(delta, memberOf(element, `${where} value[${i}]`).value));
    } else {
      // RFC 7644 §3.5.2.2: a remove of "members" with neither filter nor value removes them all.
      delta.clear = true;
      delta.add.clear();
      delta.remove.clear();
    }
    return;
  }
  if (valueFilter !== undefined) {
    throw badRequest(
      "invalidPath",
      `${where}: a filtered members path selects existing members, which cannot be changed; ` +
        `add members with path "members" and a value list of {"value": id}`,
    );
  }
  const list = Array.isArray(op.value) ? op.value : [];
  if (op.op === "replace") {
    // RFC 7644 §3.5.2.3: replacing a multi-valued attribute without filter replaces all its values.
    delta.clear = true;
    delta.add.clear();
    delta.remove.clear();
  }
  list.forEach((element, i) => {
    const member = memberOf(element, `${where} value[${i}]`);
    delta.remove.delete(member.value);
    delta.add.set(member.value, member.type ?? delta.add.get(member.value));
  });
}

function removeOne(delta: MemberDelta, id: string): void {
  delta.add.delete(id);
  // After a clear only the members in `add` survive, so there is nothing more to remove.
  if (!delta.clear) delta.remove.add(id);
}

function memberOf(element: unknown, where: string): { value: string; type?: MemberType } {
  if (typeof element !== "object" || element === null || Array.isArray(element)) {
    throw badRequest("invalidValue", `${where}: a member must be an object such as {"value": "<id>"}`);
  }
  const { value, type } = element as Record<string, unknown>;
  if (typeof value !== "string" || value.trim() === "") {
    throw badRequest("invalidValue", `${where}: a member needs "value", the id of a User or Group, as a non-empty string`);
  }
  if (type === undefined || type === null) return { value };
  const canonical = typeof type === "string" ? (["User", "Group"] as const).find((t) => t.toLowerCase() === type.toLowerCase()) : undefined;
  if (canonical === undefined) throw badRequest("invalidValue", `${where}: member "type" must be "User" or "Group", got ${JSON.stringify(type)}`);
  return { value, type: canonical };
}

/**
 * The member ids a remove filter names: `value eq "id"`, or several joined by `or`. Anything else (type,
 * display, co/sw, not) would need each current member evaluated, which this server does not do for
 * membership; it says so rather than removing the wrong members or none.
 */
function idsSelectedBy(filter: ResolvedFilter, text: string, where: string): string[] {
  const ids: string[] = [];
  const walk = (node: ResolvedFilter): boolean => {
    if (node.kind === "or") return walk(node.left) && walk(node.right);
    if (node.kind !== "compare" || node.op !== "eq" || node.path.subAttribute !== "value" || typeof node.value !== "string") return false;
    ids.push(node.value);
    return true;
  };
  if (!walk(filter)) {
    throw badRequest(
      "invalidFilter",
      `${where}: members[${text}] is not supported; select members to remove by id, as in members[value eq "<id>"] ` +
        `(several joined by "or"), or list them in "value"`,
    );
  }
  return ids;
}
