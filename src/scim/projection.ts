// Which attributes a response carries: the `attributes` / `excludedAttributes` query parameters
// (RFC 7644 §3.4.2.5, §3.9) applied over each attribute's `returned` characteristic (RFC 7643 §7).
//
// - `id` and `schemas` are always returned; `returned: never` (password) never is, even when asked for.
// - Without `attributes`: every attribute except `returned: request` ones, minus `excludedAttributes`.
// - With `attributes`: only the named ones (plus the always-returned); `meta` too only when named.
//   Given both, `attributes` selects and `excludedAttributes` then removes from the selection.
// - Names are matched case-insensitively and may be `attr`, `attr.sub`, `<schema URN>:attr[.sub]` or a whole
//   extension URN. A name the resource type does not define is a 400 (a typo must not silently return a
//   different shape), except under an extension URN the server has no schema for (custom attributes vary
//   per resource, so the server cannot know they are wrong).
import { badRequest, internalError } from "./errors.ts";
import { ALL_SCHEMAS, coreAttributes, findAttribute, findExtension, type ResourceSchemas } from "./schema/registry.ts";
import type { AttributeDef } from "./schema/types.ts";
import { setOwn } from "./validate/json-copy.ts";
import { isPlainObject as isObject } from "./validate/values.ts";

export interface ProjectionOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** `attributes=userName, name.givenName` -> ["userName", "name.givenName"]; absent or empty -> []. */
export function parseAttributeList(param: string | undefined): string[] {
  if (param === undefined) return [];
  return param
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/** Parts of one attribute that a name list picks: all of it, or the named sub-attributes (lower case). */
interface AttrPick {
  all: boolean;
  subs: Set<string>;
}

/** Parts of one schema that a name list picks; attribute keys in lower case. */
interface SchemaPick {
  all: boolean;
  attrs: Map<string, AttrPick>;
}

interface Compiled {
  /** By lower-case schema URN (the core schema included). */
  schemas: Map<string, SchemaPick>;
  /** Lower-case names under extension URNs the server has no schema for, resolved against each resource. */
  unknown: string[];
}

/** An attribute's inclusion: "default" (no `attributes` parameter, or its whole schema was named), a pick, or not selected. */
type Inclusion = "default" | AttrPick | undefined;

/** The same for an extension object: "default" when there is no `attributes` parameter. */
type SchemaInclusion = "default" | SchemaPick | undefined;

export function projectResource(
  resourceJson: Record<string, unknown>,
  resource: ResourceSchemas,
  options: ProjectionOptions,
): Record<string, unknown> {
  const include = compile(options.attributes, "attributes", resource);
  const exclude = compile(options.excludedAttributes, "excludedAttributes", resource);
  const coreUrn = resource.core.id.toLowerCase();
  const core = coreAttributes(resource);
  const out: Record<string, unknown> = {};

  for (const [key, value] of Object.entries(resourceJson)) {
    const lower = key.toLowerCase();
    let projected: unknown;
    const def = findAttribute(core, key);
    const extension = def ? undefined : findExtension(resource, key);
    if (lower === "schemas") {
      projected = value;
    } else if (def) {
      projected = projectAttribute(def, value, inclusion(include, coreUrn, def.name), exclusion(exclude, coreUrn, def.name));
    } else if (extension) {
      const lookup = (name: string) => findAttribute(extension.attributes, name);
      projected = projectObject(value, lookup, include ? include.schemas.get(lower) : "default", exclude?.schemas.get(lower));
    } else if (lower.startsWith("urn:")) {
      projected = projectObject(value, () => undefined, include ? unknownPick(include, lower) : "default", unknownPick(exclude, lower));
    } else {
      // Not described by any schema (nothing normalised stores such keys): returned by default only.
      projected = include ? undefined : value;
    }
    if (projected !== undefined) setOwn(out, key, projected);
  }
  return out;
}

/**
 * Whether the response will carry any part of top-level attribute `name` (a core attribute such as
 * "members" or "groups", or an extension URN), so storage can skip loading what will not be returned.
 */
export function includesAttribute(resource: ResourceSchemas, options: ProjectionOptions, name: string): boolean {
  const include = compile(options.attributes, "attributes", resource);
  const exclude = compile(options.excludedAttributes, "excludedAttributes", resource);
  const lower = name.toLowerCase();
  if (lower === "schemas") return true;
  const def = findAttribute(coreAttributes(resource), name);
  if (def) {
    const coreUrn = resource.core.id.toLowerCase();
    if (def.returned === "never") return false;
    if (def.returned === "always") return true;
    const picked = inclusion(include, coreUrn, def.name);
    if (picked === undefined || (picked === "default" && def.returned === "request")) return false;
    return exclusion(exclude, coreUrn, def.name)?.all !== true;
  }
  if (findExtension(resource, name)) {
    if (include && !include.schemas.has(lower)) return false;
    return exclude?.schemas.get(lower)?.all !== true;
  }
  throw internalError(`includesAttribute: "${name}" is not a top-level attribute of resource type ${resource.resourceType.name}`);
}

// ---------------------------------------------------------------------------------------------------------
// Compiling a name list.

function compile(names: string[] | undefined, param: string, resource: ResourceSchemas): Compiled | undefined {
  if (!names || names.length === 0) return undefined;
  const compiled: Compiled = { schemas: new Map(), unknown: [] };
  const typeName = resource.resourceType.name;
  const coreUrn = resource.core.id.toLowerCase();
  const unknownName = (name: string) =>
    badRequest("invalidValue", `Unknown attribute "${name}" in ${param} for resource type ${typeName}`);

  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === "schemas") continue; // always returned, and never excludable
    let urn = coreUrn;
    let path = name;
    let attributes = coreAttributes(resource);
    if (lower.startsWith("urn:")) {
      const schema = [resource.core, ...resource.extensions].find(
        (s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`),
      );
      if (!schema) {
        const foreign = ALL_SCHEMAS.find((s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`));
        if (foreign) throw badRequest("invalidValue", `${param} names "${name}", but schema "${foreign.id}" does not apply to resource type ${typeName}`);
        if (!/^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/.test(lower)) throw unknownName(name);
        compiled.unknown.push(lower);
        continue;
      }
      urn = schema.id.toLowerCase();
      if (lower === urn) {
        schemaPick(compiled, urn).all = true;
        continue;
      }
      path = name.slice(schema.id.length + 1);
      attributes = schema === resource.core ? coreAttributes(resource) : schema.attributes;
    }
    const dot = path.indexOf(".");
    const def = findAttribute(attributes, dot === -1 ? path : path.slice(0, dot));
    if (!def) throw unknownName(name);
    const pick = attrPick(schemaPick(compiled, urn), def.name);
    if (dot === -1) {
      pick.all = true;
      continue;
    }
    const sub = findAttribute(def.subAttributes ?? [], path.slice(dot + 1));
    if (!sub) throw unknownName(name);
    pick.subs.add(sub.name.toLowerCase());
  }
  return compiled;
}

function schemaPick(compiled: Compiled, urn: string): SchemaPick {
  let pick = compiled.schemas.get(urn);
  if (!pick) compiled.schemas.set(urn, (pick = { all: false, attrs: new Map() }));
  return pick;
}

function attrPick(schema: SchemaPick, name: string): AttrPick {
  const key = name.toLowerCase();
  let pick = schema.attrs.get(key);
  if (!pick) schema.attrs.set(key, (pick = { all: false, subs: new Set() }));
  return pick;
}

/** Names under an unknown extension URN, resolved against the key `urn` this resource actually has. */
function unknownPick(compiled: Compiled | undefined, urn: string): SchemaPick | undefined {
  if (!compiled) return undefined;
  let pick: SchemaPick | undefined;
  for (const name of compiled.unknown) {
    if (name === urn) {
      pick ??= { all: false, attrs: new Map() };
      pick.all = true;
    } else if (name.startsWith(`${urn}:`)) {
      pick ??= { all: false, attrs: new Map() };
      const path = name.slice(urn.length + 1);
      const dot = path.indexOf(".");
      const attr = attrPick(pick, dot === -1 ? path : path.slice(0, dot));
      if (dot === -1) attr.all = true;
      else attr.subs.add(path.slice(dot + 1));
    }
  }
  return pick;
}

function inclusion(include: Compiled | undefined, urn: string, attr: string): Inclusion {
  if (!include) return "default";
  const schema = include.schemas.get(urn);
  if (!schema) return undefined;
  return schema.all ? "default" : schema.attrs.get(attr.toLowerCase());
}

function exclusion(exclude: Compiled | undefined, urn: string, attr: string): AttrPick | undefined {
  const schema = exclude?.schemas.get(urn);
  if (!schema) return undefined;
  return schema.all ? { all: true, subs: new Set() } : schema.attrs.get(attr.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------
// Projecting values.

/** An extension object, known (`lookup` finds definitions) or unknown. */
function projectObject(
  value: unknown,
  lookup: (name: string) => AttributeDef | undefined,
  include: SchemaInclusion,
  exclude: SchemaPick | undefined,
): unknown {
  if (include === undefined || exclude?.all) return undefined;
  if (!isObject(value)) return include === "default" || include.all ? value : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const def = lookup(key);
    const picked: Inclusion = include === "default" || include.all ? "default" : include.attrs.get(key.toLowerCase());
    const projected = def
      ? projectAttribute(def, member, picked, exclude?.attrs.get(key.toLowerCase()))
      : projectUntyped(member, picked, exclude?.attrs.get(key.toLowerCase()));
    if (projected !== undefined) setOwn(out, key, projected);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function projectAttribute(def: AttributeDef, value: unknown, include: Inclusion, exclude: AttrPick | undefined): unknown {
  if (def.returned === "never") return undefined;
  if (def.returned === "always") return value;
  if (include === undefined || (include === "default" && def.returned === "request")) return undefined;
  if (exclude?.all) return undefined;
  return def.type === "complex" ? projectComplex(def, value, include, exclude) : value;
}

function projectComplex(def: AttributeDef, value: unknown, include: Exclude<Inclusion, undefined>, exclude: AttrPick | undefined): unknown {
  const subs = def.subAttributes ?? [];
  const one = (element: unknown): unknown => {
    if (!isObject(element)) return element;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(element)) {
      const sub = findAttribute(subs, key);
      const name = (sub?.name ?? key).toLowerCase();
      const returned = sub?.returned ?? "default";
      if (returned === "never") continue;
      const wanted =
        returned === "always" ||
        (include === "default" || include.all ? returned !== "request" : include.subs.has(name));
      if (!wanted || (returned !== "always" && exclude?.subs.has(name))) continue;
      setOwn(out, key, member);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return eachValue(value, one);
}

/** Projects a single value, or each element of a multi-valued one; an empty result is absent. */
function eachValue(value: unknown, one: (element: unknown) => unknown): unknown {
  if (!Array.isArray(value)) return one(value);
  const elements = value.map(one).filter((e) => e !== undefined);
  return elements.length > 0 ? elements : undefined;
}

/** An attribute of an unknown extension: no `returned` characteristic, so default; sub-names match exactly. */
function projectUntyped(value: unknown, include: Inclusion, exclude: AttrPick | undefined): unknown {
  if (include === undefined || exclude?.all) return undefined;
  const subsOnly = include !== "default" && !include.all;
  if (!subsOnly && (exclude === undefined || exclude.subs.size === 0)) return value;
  const one = (element: unknown): unknown => {
    if (!isObject(element)) return subsOnly ? undefined : element;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(element)) {
      const name = key.toLowerCase();
      if (subsOnly && !include.subs.has(name)) continue;
      if (exclude?.subs.has(name)) continue;
      setOwn(out, key, member);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return eachValue(value, one);
}

