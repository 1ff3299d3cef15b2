// Validates and normalises a whole resource body (POST, PUT, and the result of applying a PATCH) against
// its resource type's schemas, producing the JSON that storage keeps: core attributes at the top level under
// canonical names, known extensions under their canonical URN, unknown extensions as given, and `schemas`.
//
// Rules, and why:
// - Names match case-insensitively (RFC 7643 §2.1) and are rewritten to the schema's spelling.
// - Wrong JSON types, over-long strings, keys given twice and a missing userName/displayName are refused.
//   Format rules of optional attributes (country, locale, timezone, preferredLanguage, email value) are
//   advisory: a value they do not recognise is stored as sent (see formats.ts).
// - Anything the server does not understand is a 400 naming it (never silently dropped: an IdP that thinks
//   it set an attribute must learn that it did not), unless its value is null, which sets nothing. The exception is readOnly attributes (id, meta, groups,
//   members[].display, manager.displayName): the server owns them, and Okta echoes them back in PUT, so they
//   are dropped without being checked.
// - null, "" and [] mean "unassigned" (RFC 7643 §2.5; Entra clears an attribute by sending ""), so they are
//   dropped, except Group `members`: null or [] become `members: []`, because membership lives in its own
//   table and "remove every member" must stay distinguishable from "members not mentioned".
// - Unknown extension objects (Okta custom attributes) are kept as given, within size limits.
// - `id`, `meta` and `password` never appear in the result; the caller adds id/meta and hashes the password.
import { badRequest } from "../errors.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../schema/core.ts";
import { ALL_SCHEMAS, coreAttributes, findAttribute, listsSchema, type ResourceSchemas } from "../schema/registry.ts";
import type { AttributeDef, SchemaDef } from "../schema/types.ts";
import { COUNTRY, EMAIL, HTTP_URL, LOCALE, PREFERRED_LANGUAGE, TIMEZONE, type FormatRule } from "./formats.ts";
import { copyJson, setOwn } from "./json-copy.ts";
import {
  MAX_BINARY_LENGTH,
  MAX_GROUP_MEMBERS,
  MAX_MULTI_VALUES,
  MAX_PASSWORD_LENGTH,
  MAX_STRING_LENGTH,
} from "./limits.ts";
import { coerceBoolean, coerceNumber, describeValue, isBase64, isDateTime, isPlainObject } from "./values.ts";

export {
  MAX_BINARY_LENGTH,
  MAX_EXTENSION_DEPTH,
  MAX_GROUP_MEMBERS,
  MAX_MULTI_VALUES,
  MAX_PASSWORD_LENGTH,
  MAX_STRING_LENGTH,
} from "./limits.ts";

export interface NormalizedResource {
  resource: Record<string, unknown>;
  /** The cleartext `password` when the body set one (write-only: never part of `resource`). */
  password?: string;
}

/** Format rules by `<schema URN>:<attribute path without indices>`. */
const FORMATS: ReadonlyMap<string, FormatRule> = new Map([
  [`${USER_SCHEMA}:preferredLanguage`, PREFERRED_LANGUAGE],
  [`${USER_SCHEMA}:locale`, LOCALE],
  [`${USER_SCHEMA}:timezone`, TIMEZONE],
  [`${USER_SCHEMA}:profileUrl`, HTTP_URL],
  [`${USER_SCHEMA}:emails.value`, EMAIL],
  [`${USER_SCHEMA}:photos.value`, HTTP_URL],
  [`${USER_SCHEMA}:addresses.country`, COUNTRY],
]);

const MEMBERS_KEY = `${GROUP_SCHEMA}:members`;
const MANAGER_KEY = `${ENTERPRISE_USER_SCHEMA}:manager`;
// canonicalValues are only suggestions in RFC 7643 (emails "type" may be anything), except where the server
// acts on the value: a member's type says which table the id refers to.
const STRICT_CANONICAL = new Set([`${GROUP_SCHEMA}:members.type`]);

/** Where a value sits: `path` for error details (with indices and URN), `key` for the rule tables. */
interface Where {
  path: string;
  key: string;
}

interface Context {
  resource: ResourceSchemas;
}

/** The body regrouped by schema, names resolved but values not yet checked. */
interface Collected {
  schemas: unknown;
  core: Record<string, unknown>;
  known: Map<SchemaDef, Record<string, unknown>>;
  /** Unknown extension URN (lower case) -> the URN as first given and its raw object. */
  unknown: Map<string, { urn: string; value: Record<string, unknown> }>;
}

export function normalizeResource(input: Record<string, unknown>, resource: ResourceSchemas): NormalizedResource {
  const ctx: Context = { resource };
  const collected = collect(input, resource);
  const body: Record<string, unknown> = {};
  let password: string | undefined;

  for (const def of coreAttributes(resource)) {
    if (!Object.hasOwn(collected.core, def.name)) continue;
    const raw = collected.core[def.name];
    if (def.mutability === "readOnly") continue;
    if (def.mutability === "writeOnly") {
      password = checkPassword(def, raw);
      continue;
    }
    const where = { path: def.name, key: `${resource.core.id}:${def.name}` };
    if (where.key === MEMBERS_KEY && (raw === null || (Array.isArray(raw) && raw.length === 0))) {
      body[def.name] = [];
      continue;
    }
    const value = normalizeAttribute(def, raw, where, ctx);
    if (value !== undefined) body[def.name] = value;
  }
  for (const def of resource.core.attributes) {
    if (!def.required) continue;
    const value = body[def.name];
    if (value === undefined || (typeof value === "string" && value.trim() === "")) {
      throw badRequest("invalidValue", `Attribute "${def.name}" is required`);
    }
  }

  const present: string[] = [];
  for (const [schema, raw] of collected.known) {
    const value = normalizeExtension(schema, raw, ctx);
    if (Object.keys(value).length === 0) continue;
    body[schema.id] = value;
    present.push(schema.id);
  }
  for (const { urn, value } of collected.unknown.values()) {
    const copy = copyJson(value, urn, 1) as Record<string, unknown>;
    if (Object.keys(copy).length === 0) continue;
    setOwn(body, urn, copy);
    present.push(urn);
  }

  const result: Record<string, unknown> = { schemas: normalizeSchemas(collected.schemas, resource, present) };
  for (const key of Object.keys(body)) setOwn(result, key, body[key]);
  return password === undefined ? { resource: result } : { resource: result, password };
}

// ---------------------------------------------------------------------------------------------------------
// Collecting: resolve every top-level key to (schema, attribute[, sub-attribute]).

function collect(input: Record<string, unknown>, resource: ResourceSchemas): Collected {
  const collected: Collected = { schemas: undefined, core: {}, known: new Map(), unknown: new Map() };
  const typeName = resource.resourceType.name;
  const coreUrn = resource.core.id.toLowerCase();
  const foreign = ALL_SCHEMAS.filter((s) => s !== resource.core && !resource.extensions.includes(s));

  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (lower === "schemas") {
      if (collected.schemas !== undefined) throw badRequest("invalidValue", `Attribute "schemas" is given more than once`);
      collected.schemas = value ?? null;
      continue;
    }
    if (!lower.startsWith("urn:")) {
      collectAttribute(collected.core, coreAttributes(resource), key, value, "", typeName);
      continue;
    }
    if (lower === coreUrn) {
      throw badRequest("invalidValue", `Core attributes of ${typeName} belong at the top level of the body, not under "${key}"`);
    }
    if (lower.startsWith(`${coreUrn}:`)) {
      collectAttribute(collected.core, coreAttributes(resource), key.slice(coreUrn.length + 1), value, "", typeName);
      continue;
    }
    const extension = resource.extensions.find((s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`));
    if (extension) {
      let target = collected.known.get(extension);
      if (!target) collected.known.set(extension, (target = {}));
      if (lower.length > extension.id.length) {
        collectAttribute(target, extension.attributes, key.slice(extension.id.length + 1), value, `${extension.id}:`, typeName);
      } else if (isPlainObject(value)) {
        for (const [name, member] of Object.entries(value)) {
          if (name.toLowerCase() === "schemas") {
            checkExtensionSchemasEcho(extension.id, member);
            continue;
          }
          collectAttribute(target, extension.attributes, name, member, `${extension.id}:`, typeName);
        }
      } else if (value !== null && value !== undefined) {
        throw badRequest("invalidValue", `Extension "${extension.id}" must be an object, got ${describeValue(value)}`);
      }
      continue;
    }
    const other = foreign.find((s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`));
    if (other) throw badRequest("invalidValue", `Schema "${other.id}" does not apply to resource type ${typeName}`);
    collectUnknown(collected.unknown, key, value);
  }
  return collected;
}

/**
 * Puts `name` (`attr` or `attr.sub`) of one schema into `target` under the canonical attribute name.
 * The same attribute may arrive from several keys (`name` and `name.givenName`, an extension object and a
 * URN-qualified key); objects merge, and a leaf given twice is an error rather than a silent choice.
 */
function collectAttribute(
  target: Record<string, unknown>,
  attributes: AttributeDef[],
  name: string,
  value: unknown,
  prefix: string,
  typeName: string,
): void {
  const dot = name.indexOf(".");
  const attrName = dot === -1 ? name : name.slice(0, dot);
  const def = findAttribute(attributes, attrName);
  if (!def) {
    // null assigns nothing (RFC 7643 §2.5), and an attribute the schema does not have is already unassigned, so
    // there is nothing to refuse: Entra's provisioning example sends "department": null and "manager": null at the
    // top level of a User. Any other value would be silently lost, so it stays a 400.
    if (value === null) return;
    throw badRequest("invalidValue", `Unknown attribute "${prefix}${name}" for resource type ${typeName}`);
  }
  if (dot === -1) {
    merge(target, def.name, value, `${prefix}${def.name}`, true);
    return;
  }
  if (def.mutability === "readOnly") return;
  const subName = name.slice(dot + 1);
  if (def.type !== "complex") {
    throw badRequest("invalidValue", `Unknown attribute "${prefix}${name}" for resource type ${typeName}: "${def.name}" has no sub-attributes`);
  }
  if (def.multiValued) {
    throw badRequest(
      "invalidValue",
      `Attribute "${prefix}${name}" cannot be set on its own: "${def.name}" is multi-valued, send it as an array of objects`,
    );
  }
  merge(target, def.name, { [subName]: value }, `${prefix}${def.name}`, true);
}

/**
 * Serializers that model an extension as its own object often give it a `schemas` member naming it; that is
 * accepted and dropped (the resource's own `schemas` already lists the extension). Anything else there is a 400.
 */
function checkExtensionSchemasEcho(urn: string, value: unknown): void {
  if (listsSchema(value, urn)) return;
  throw badRequest("invalidValue", `"schemas" inside "${urn}" must be an array naming ${urn}, got ${describeValue(value)}`);
}

function collectUnknown(unknown: Collected["unknown"], key: string, value: unknown): void {
  if (value === null || value === undefined) return;
  // An object under a URN is an extension (Okta's custom attributes); anything else is one URN-qualified
  // attribute of that extension, "<schema URN>:<attribute>" (RFC 7644 §3.10), so split at the last colon.
  let urn = key;
  let object: Record<string, unknown>;
  if (isPlainObject(value)) {
    object = value;
  } else {
    const colon = key.lastIndexOf(":");
    urn = key.slice(0, colon);
    object = {};
    setOwn(object, key.slice(colon + 1), value);
    if (colon === key.length - 1) throw badRequest("invalidValue", `Attribute "${key}" has an empty attribute name`);
  }
  // RFC 8141: "urn:" NID ":" NSS.
  if (!/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$/i.test(urn)) {
    throw badRequest("invalidValue", `"${key}" is neither a known attribute nor a schema URN (urn:<namespace>:<name>)`);
  }
  const existing = unknown.get(urn.toLowerCase());
  if (!existing) {
    unknown.set(urn.toLowerCase(), { urn, value: object });
    return;
  }
  const holder: Record<string, unknown> = { value: existing.value };
  merge(holder, "value", object, existing.urn, false);
  existing.value = holder.value as Record<string, unknown>;
}

/** Merges `value` into `target[key]`; `fold` matches keys case-insensitively (schema-defined names). */
function merge(target: Record<string, unknown>, key: string, value: unknown, path: string, fold: boolean): void {
  const lower = key.toLowerCase();
  const existingKey = Object.keys(target).find((k) => (fold ? k.toLowerCase() === lower : k === key));
  if (existingKey === undefined) {
    setOwn(target, key, value);
    return;
  }
  const existing = target[existingKey];
  if (value === null || value === undefined) return;
  if (existing === null || existing === undefined) {
    target[existingKey] = value;
    return;
  }
  if (isPlainObject(existing) && isPlainObject(value)) {
    const merged: Record<string, unknown> = { ...existing };
    for (const [k, v] of Object.entries(value)) merge(merged, k, v, `${path}.${k}`, fold);
    target[existingKey] = merged;
    return;
  }
  throw badRequest("invalidValue", `Attribute "${path}" is given more than once`);
}

// ---------------------------------------------------------------------------------------------------------
// Checking values against attribute definitions.

function normalizeExtension(schema: SchemaDef, raw: Record<string, unknown>, ctx: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of schema.attributes) {
    if (!Object.hasOwn(raw, def.name) || def.mutability === "readOnly") continue;
    const where = { path: `${schema.id}:${def.name}`, key: `${schema.id}:${def.name}` };
    let value = raw[def.name];
    if (where.key === MANAGER_KEY) value = coerceManager(value, where.path);
    const normalized = normalizeAttribute(def, value, where, ctx);
    if (where.key === MANAGER_KEY && isPlainObject(normalized) && normalized["value"] === undefined) {
      throw badRequest("invalidValue", `Attribute "${where.path}.value" is required when "${where.path}" is given`);
    }
    if (normalized !== undefined) out[def.name] = normalized;
  }
  return out;
}

/**
 * Entra sends the enterprise manager as a plain id, as `{value}`, or as an array of one `{value}`;
 * RFC 7643 §4.3 says it is a complex attribute, so the first two become objects before the usual checks.
 */
function coerceManager(value: unknown, path: string): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length > 1) throw badRequest("invalidValue", `Attribute "${path}" takes one manager, got ${value.length}`);
    if (Array.isArray(value[0])) throw badRequest("invalidValue", `Attribute "${path}" must be an object or an id, got a nested array`);
    return coerceManager(value[0], path);
  }
  if (typeof value === "string") return value === "" ? undefined : { value };
  return value;
}

function normalizeAttribute(def: AttributeDef, raw: unknown, where: Where, ctx: Context): unknown {
  if (raw === null || raw === undefined) return undefined;
  return def.multiValued ? normalizeMultiValued(def, raw, where, ctx) : normalizeSingle(def, raw, where, ctx);
}

function normalizeMultiValued(def: AttributeDef, raw: unknown, where: Where, ctx: Context): unknown[] | undefined {
  if (!Array.isArray(raw)) {
    throw badRequest("invalidValue", `Attribute "${where.path}" is multi-valued: expected an array, got ${describeValue(raw)}`);
  }
  const isMembers = where.key === MEMBERS_KEY;
  const limit = isMembers ? MAX_GROUP_MEMBERS : MAX_MULTI_VALUES;
  if (raw.length > limit) {
    throw badRequest("invalidValue", `Attribute "${where.path}" has ${raw.length} values; at most ${limit} are allowed`);
  }
  const out: unknown[] = [];
  const memberIds = new Set<string>();
  let primaries = 0;
  raw.forEach((element, i) => {
    const path = `${where.path}[${i}]`;
    const value = normalizeSingle(def, element, { path, key: where.key }, ctx);
    if (isMembers && element !== null && element !== undefined) {
      // A member entry that names nobody cannot be stored; dropping it would hide the client's mistake.
      const id = isPlainObject(value) ? value["value"] : undefined;
      if (typeof id !== "string") throw badRequest("invalidValue", `Attribute "${path}.value" is required`);
      // The same member twice is one membership; keeping both would only collide in storage.
      if (memberIds.has(id)) return;
      memberIds.add(id);
    }
    if (value === undefined) return;
    if (isPlainObject(value) && value["primary"] === true) primaries++;
    out.push(value);
  });
  if (primaries > 1) {
    throw badRequest("invalidValue", `Attribute "${where.path}" has ${primaries} values marked "primary": true; at most one is allowed (RFC 7643 §2.4)`);
  }
  // An emptied member list stays [] ("no members"); any other emptied list is unassigned.
  return out.length > 0 || isMembers ? out : undefined;
}

function normalizeSingle(def: AttributeDef, raw: unknown, where: Where, ctx: Context): unknown {
  if (raw === null || raw === undefined) return undefined;
  if (def.type !== "complex") return normalizeSimple(def, raw, where);
  if (!isPlainObject(raw)) {
    throw badRequest("invalidValue", `Attribute "${where.path}" must be an object, got ${describeValue(raw)}`);
  }
  const subs = def.subAttributes ?? [];
  const given = new Map<AttributeDef, unknown>();
  for (const [name, value] of Object.entries(raw)) {
    const sub = findAttribute(subs, name);
    if (!sub) {
      throw badRequest("invalidValue", `Unknown attribute "${where.path}.${name}" for resource type ${ctx.resource.resourceType.name}`);
    }
    if (given.has(sub)) throw badRequest("invalidValue", `Attribute "${where.path}.${sub.name}" is given more than once`);
    given.set(sub, value);
  }
  const out: Record<string, unknown> = {};
  for (const sub of subs) {
    if (!given.has(sub) || sub.mutability === "readOnly") continue;
    const value = normalizeAttribute(sub, given.get(sub), { path: `${where.path}.${sub.name}`, key: `${where.key}.${sub.name}` }, ctx);
    if (value !== undefined) out[sub.name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function normalizeSimple(def: AttributeDef, raw: unknown, where: Where): unknown {
  if (raw === "") return undefined;
  const invalid = (expected: string) =>
    badRequest("invalidValue", `Attribute "${where.path}" must be ${expected}, got ${describeValue(raw)}`);
  switch (def.type) {
    case "boolean": {
      const value = coerceBoolean(raw);
      if (value === undefined) throw invalid('a boolean (true or false)');
      return value;
    }
    case "integer":
    case "decimal": {
      const value = coerceNumber(raw, def.type === "integer");
      if (value === undefined) throw invalid(def.type === "integer" ? "an integer" : "a number");
      return value;
    }
    case "dateTime":
      if (typeof raw !== "string" || !isDateTime(raw)) throw invalid("an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)");
      return raw;
    case "binary":
      if (typeof raw !== "string") throw invalid("a base64 string");
      checkLength(raw, MAX_BINARY_LENGTH, where);
      if (!isBase64(raw)) throw invalid("a base64 string");
      return raw;
    default: {
      if (typeof raw !== "string") throw invalid("a string");
      checkLength(raw, MAX_STRING_LENGTH, where);
      const format = FORMATS.get(where.key);
      if (format) {
        const value = format.normalize(raw);
        if (value !== undefined) return value;
        if (format.advisory) return raw;
        throw badRequest("invalidValue", `${where.path} ${describeValue(raw)} is not ${format.expected}`);
      }
      if (STRICT_CANONICAL.has(where.key) && def.canonicalValues) {
        const canonical = def.canonicalValues.find((c) => c.toLowerCase() === raw.toLowerCase());
        if (canonical === undefined) throw invalid(def.canonicalValues.map((c) => `"${c}"`).join(" or "));
        return canonical;
      }
      return raw;
    }
  }
}

function checkLength(value: string, limit: number, where: Where): void {
  if (value.length > limit) {
    throw badRequest("invalidValue", `Attribute "${where.path}" is ${value.length} characters long; at most ${limit} are allowed`);
  }
}

function checkPassword(def: AttributeDef, raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== "string" || raw === "") {
    throw badRequest("invalidValue", `Attribute "${def.name}" must be a non-empty string, got ${typeof raw === "string" ? "an empty string" : describeValue(raw)}`);
  }
  if (raw.length > MAX_PASSWORD_LENGTH) {
    throw badRequest("invalidValue", `Attribute "${def.name}" is ${raw.length} characters long; at most ${MAX_PASSWORD_LENGTH} are allowed`);
  }
  return raw;
}

// ---------------------------------------------------------------------------------------------------------
// schemas (RFC 7643 §3): must name the core schema; gains the URN of every extension the body carries. A URI
// the server has no schema for (Entra's ADSCIM Group URI, a client's own extension) is kept as given: the
// server stores what it was sent and drops nothing silently.

// RFC 3986 §3: scheme ":" hier-part, no whitespace. A relative reference ("User") names no schema.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

function normalizeSchemas(raw: unknown, resource: ResourceSchemas, present: string[]): string[] {
  const typeName = resource.resourceType.name;
  const out: string[] = [resource.core.id];
  const seen = new Set([resource.core.id.toLowerCase()]);
  const add = (urn: string) => {
    if (seen.has(urn.toLowerCase())) return;
    seen.add(urn.toLowerCase());
    out.push(urn);
  };
  if (raw !== null && raw !== undefined) {
    if (!Array.isArray(raw)) throw badRequest("invalidValue", `"schemas" must be an array of schema URIs, got ${describeValue(raw)}`);
    let hasCore = false;
    raw.forEach((entry, i) => {
      // RFC 7643 §3: each value is a URI, not necessarily a URN. Entra's group create names
      // "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group" beside the core schema.
      if (typeof entry !== "string" || !ABSOLUTE_URI.test(entry)) {
        throw badRequest("invalidValue", `schemas[${i}] ${describeValue(entry)} is not a schema URI (urn:... or http(s)://...)`);
      }
      checkLength(entry, MAX_STRING_LENGTH, { path: `schemas[${i}]`, key: "schemas" });
      const lower = entry.toLowerCase();
      const known = [resource.core, ...resource.extensions].find((s) => s.id.toLowerCase() === lower);
      if (known === resource.core) hasCore = true;
      else if (known) add(known.id);
      else if (ALL_SCHEMAS.some((s) => s.id.toLowerCase() === lower)) {
        throw badRequest("invalidValue", `schemas[${i}] "${entry}" does not apply to resource type ${typeName}`);
      } else add(entry);
    });
    if (!hasCore) throw badRequest("invalidValue", `"schemas" must contain "${resource.core.id}" for resource type ${typeName}`);
  }
  for (const urn of present) add(urn);
  return out;
}
