// Resolves parsed filters and paths against a resource type's schemas (names are case-insensitive, RFC 7644
// §3.4.2.2) and rejects what cannot be evaluated faithfully, so no query silently ignores part of a filter.
import { badRequest, type ScimError, type ScimType } from "../errors.ts";
import { attr } from "../schema/builders.ts";
import { coreAttributes, findAttribute, findExtension, type ResourceSchemas } from "../schema/registry.ts";
import type { AttributeDef } from "../schema/types.ts";
import type { AttrPath, CompareOp, Filter, FilterValue, PatchPath } from "./ast.ts";
import { parseDateTime } from "./date-time.ts";
import { quote as quoteText } from "./lexer.ts";
import { printAttrPath } from "./print.ts";
import type { ResolvedFilter, ResolvedPatchPath, ResolvedPath } from "./resolved.ts";

export type { ResolvedFilter, ResolvedPatchPath, ResolvedPath } from "./resolved.ts";

export interface ResolveOptions {
  /** scimType of thrown errors. Default "invalidFilter". */
  scimType?: ScimType;
  /** What is being resolved, for error details. Default "filter". */
  label?: string;
  /**
   * Whether write-only, never-returned attributes (password) may be named. Filtering on them would leak them
   * bit by bit, so filters and sortBy say no; a PATCH target says yes.
   */
  allowWriteOnly?: boolean;
}

interface Context {
  resource: ResourceSchemas;
  scimType: ScimType;
  label: string;
  allowWriteOnly: boolean;
}

// RFC 7643 §3: every resource has "schemas", but no schema lists it; RFC 7644 §3.4.2.2 filters on it.
const SCHEMAS_ATTRIBUTE: AttributeDef = attr("schemas", "string", "URIs of the schemas the resource conforms to.", { multiValued: true });

// Attribute paths in these details are well-formed names (a URN is ~60 characters), so they may be longer
// than the raw client text the lexer quotes.
const quote = (text: string) => quoteText(text, 160);

const STRING_OPS: ReadonlySet<CompareOp> = new Set<CompareOp>(["co", "sw", "ew"]);

/** Resolves a whole filter for a list/search request on `resource`. Throws ScimError invalidFilter. */
export function resolveFilter(filter: Filter, resource: ResourceSchemas): ResolvedFilter {
  return resolveNode(filter, context(resource, {}), undefined);
}

/**
 * Resolves a filter whose names are sub-attributes of `parent` (the part between brackets of `emails[...]`),
 * for use with `matchesValueFilter`. `parent` must be a complex attribute without sub-attribute.
 */
export function resolveValueFilter(filter: Filter, parent: ResolvedPath, resource: ResourceSchemas, options: ResolveOptions = {}): ResolvedFilter {
  const ctx = context(resource, options);
  checkValueFilterParent(parent, ctx);
  return resolveNode(filter, ctx, parent);
}

/** Resolves `[urn:...:]attr[.sub]` (PATCH targets, sortBy, attributes=). Throws with `options.scimType`. */
export function resolveAttrPath(path: AttrPath, resource: ResourceSchemas, options: ResolveOptions = {}): ResolvedPath {
  return resolveTopLevel(path, context(resource, options));
}

/** Resolves a parsed PATCH path. Errors are invalidPath; password may be targeted but not used in the filter. */
export function resolvePatchPath(path: PatchPath, resource: ResourceSchemas): ResolvedPatchPath {
  const target = { scimType: "invalidPath", label: "PATCH path", allowWriteOnly: true } as const;
  const base: AttrPath = { ...(path.uri !== undefined ? { uri: path.uri } : {}), attribute: path.attribute };
  if (path.valueFilter === undefined) {
    return { target: resolveAttrPath(path.subAttribute === undefined ? base : { ...base, subAttribute: path.subAttribute }, resource, target) };
  }
  const parent = resolveAttrPath(base, resource, target);
  const valueFilter = resolveValueFilter(path.valueFilter, parent, resource, { scimType: "invalidPath", label: "PATCH path" });
  if (path.subAttribute === undefined) return { target: parent, valueFilter };
  const ctx = context(resource, target);
  return { target: withSubAttribute(parent, path.subAttribute, ctx, false), valueFilter };
}

function context(resource: ResourceSchemas, options: ResolveOptions): Context {
  return {
    resource,
    scimType: options.scimType ?? "invalidFilter",
    label: options.label ?? "filter",
    allowWriteOnly: options.allowWriteOnly ?? false,
  };
}

function fail(ctx: Context, detail: string): ScimError {
  return badRequest(ctx.scimType, detail);
}

function resolveNode(filter: Filter, ctx: Context, parent: ResolvedPath | undefined): ResolvedFilter {
  switch (filter.kind) {
    case "and":
    case "or":
      return { kind: filter.kind, left: resolveNode(filter.left, ctx, parent), right: resolveNode(filter.right, ctx, parent) };
    case "not":
      return { kind: "not", filter: resolveNode(filter.filter, ctx, parent) };
    case "present":
      return { kind: "present", path: resolvePathIn(filter.path, ctx, parent) };
    case "compare": {
      const path = compareTarget(resolvePathIn(filter.path, ctx, parent), filter.op, ctx);
      return { kind: "compare", path, op: filter.op, value: checkComparison(path, filter.op, filter.value, ctx) };
    }
    case "valuePath": {
      if (parent !== undefined) {
        throw fail(ctx, `Value filter on ${quote(printAttrPath(filter.path))} inside the value filter of ${quote(parent.canonical)}: value filters cannot nest`);
      }
      const path = resolveTopLevel(filter.path, ctx);
      checkValueFilterParent(path, ctx);
      return { kind: "valuePath", path, filter: resolveNode(filter.filter, ctx, path) };
    }
  }
}

function resolvePathIn(path: AttrPath, ctx: Context, parent: ResolvedPath | undefined): ResolvedPath {
  if (parent === undefined) return resolveTopLevel(path, ctx);
  const shown = quote(printAttrPath(path));
  if (path.uri !== undefined) {
    throw fail(ctx, `Schema-qualified name ${shown} inside the value filter of ${quote(parent.canonical)}: name a sub-attribute of it, as in ${parent.attribute}[type eq "work"]`);
  }
  if (path.subAttribute !== undefined) {
    throw fail(ctx, `${shown} inside the value filter of ${quote(parent.canonical)}: its sub-attributes have no sub-attributes`);
  }
  return withSubAttribute(parent, path.attribute, ctx, true);
}

/** The attributes a filter can name at the top level of a resource: the core ones and `schemas`. */
export function topLevelAttributes(resource: ResourceSchemas): AttributeDef[] {
  return [...coreAttributes(resource), SCHEMAS_ATTRIBUTE];
}

function resolveTopLevel(path: AttrPath, ctx: Context): ResolvedPath {
  const { resource } = ctx;
  const shown = quote(printAttrPath(path));
  let schema: string;
  let extension: boolean;
  let attributeDef: AttributeDef | undefined;
  if (path.uri !== undefined) {
    const ext = findExtension(resource, path.uri);
    if (path.uri.toLowerCase() === resource.core.id.toLowerCase()) {
      schema = resource.core.id;
      extension = false;
      attributeDef = findAttribute(topLevelAttributes(resource), path.attribute);
    } else if (ext !== undefined) {
      schema = ext.id;
      extension = true;
      attributeDef = findAttribute(ext.attributes, path.attribute);
    } else {
      throw fail(ctx, unknownSchemaDetail(path, ctx));
    }
    if (attributeDef === undefined) {
      throw fail(ctx, `Unknown attribute ${shown} in ${ctx.label}: schema ${schema} has no attribute ${quote(path.attribute)}`);
    }
  } else {
    attributeDef = findAttribute(topLevelAttributes(resource), path.attribute);
    schema = resource.core.id;
    extension = false;
    if (attributeDef === undefined) {
      const matches = resource.extensions.flatMap((ext) => {
        const def = findAttribute(ext.attributes, path.attribute);
        return def === undefined ? [] : [{ ext, def }];
      });
      const [match, second] = matches;
      if (match === undefined) {
        throw fail(ctx, `Unknown attribute ${shown} in ${ctx.label}: ${resource.resourceType.name} resources have no attribute ${quote(path.attribute)}`);
      }
      if (second !== undefined) {
        throw fail(ctx, `Ambiguous attribute ${shown} in ${ctx.label}: it is defined by ${matches.map((m) => m.ext.id).join(" and ")}; prefix it with the schema URN`);
      }
      schema = match.ext.id;
      extension = true;
      attributeDef = match.def;
    }
  }
  checkReadable(attributeDef, attributeDef.name, ctx);
  const base = build(schema, extension, attributeDef, undefined, false);
  return path.subAttribute === undefined ? base : withSubAttribute(base, path.subAttribute, ctx, false);
}

function unknownSchemaDetail(path: AttrPath, ctx: Context): string {
  const { resource } = ctx;
  const schemas = [resource.core.id, ...resource.extensions.map((ext) => ext.id)];
  const whole = `${path.uri}:${path.attribute}`.toLowerCase();
  const named = schemas.find((id) => id.toLowerCase() === whole);
  if (named !== undefined) {
    return `${quote(printAttrPath(path))} in ${ctx.label} names the schema ${named}, not an attribute; write ${named}:attributeName`;
  }
  return `Unknown schema ${quote(path.uri ?? "")} in ${ctx.label} attribute ${quote(printAttrPath(path))}: ${resource.resourceType.name} resources have the schemas ${schemas.join(", ")}`;
}

/** `base` with sub-attribute `name`. `inElement`: the path is relative to one element of a valuePath. */
function withSubAttribute(base: ResolvedPath, name: string, ctx: Context, inElement: boolean): ResolvedPath {
  const subs = base.attributeDef.subAttributes;
  if (subs === undefined) {
    throw fail(ctx, `${quote(`${base.canonical}.${name}`)} in ${ctx.label}: ${quote(base.canonical)} has no sub-attributes`);
  }
  const subDef = findAttribute(subs, name);
  if (subDef === undefined) {
    const known = subs.map((s) => s.name).join(", ");
    throw fail(ctx, `Unknown sub-attribute ${quote(name)} of ${quote(base.canonical)} in ${ctx.label}; it has ${known}`);
  }
  checkReadable(subDef, `${base.canonical}.${subDef.name}`, ctx);
  return build(base.schema, base.extension, base.attributeDef, subDef, inElement);
}

function build(schema: string, extension: boolean, attributeDef: AttributeDef, subAttributeDef: AttributeDef | undefined, inElement: boolean): ResolvedPath {
  const leaf = subAttributeDef ?? attributeDef;
  const attribute = extension ? `${schema}:${attributeDef.name}` : attributeDef.name;
  return {
    schema,
    extension,
    attribute: attributeDef.name,
    ...(subAttributeDef !== undefined ? { subAttribute: subAttributeDef.name, subAttributeDef } : {}),
    attributeDef,
    leaf,
    multiValued: inElement ? leaf.multiValued : attributeDef.multiValued || (subAttributeDef?.multiValued ?? false),
    caseExact: leaf.caseExact || leaf.type === "binary" || leaf.type === "reference",
    canonical: subAttributeDef === undefined ? attribute : `${attribute}.${subAttributeDef.name}`,
  };
}

function checkReadable(def: AttributeDef, canonical: string, ctx: Context): void {
  if (!ctx.allowWriteOnly && (def.returned === "never" || def.mutability === "writeOnly")) {
    throw fail(ctx, `Attribute ${quote(canonical)} cannot be used in a ${ctx.label}: it is write-only and never returned`);
  }
}

function checkValueFilterParent(path: ResolvedPath, ctx: Context): void {
  if (path.subAttribute !== undefined || path.attributeDef.type !== "complex" || path.attributeDef.subAttributes === undefined) {
    throw fail(ctx, `Value filter on ${quote(path.canonical)} in ${ctx.label}: only complex attributes (such as emails) take "[...]"`);
  }
}

/** RFC 7644 §3.4.2.2: a compare on a multi-valued complex attribute without sub-attribute means its "value". */
function compareTarget(path: ResolvedPath, op: CompareOp, ctx: Context): ResolvedPath {
  if (path.leaf.type !== "complex") return path;
  const hasValue = path.attributeDef.subAttributes?.some((s) => s.name === "value") ?? false;
  if (path.attributeDef.multiValued && path.subAttribute === undefined && hasValue) return withSubAttribute(path, "value", ctx, false);
  const example = path.attributeDef.subAttributes?.[0]?.name ?? "value";
  throw fail(
    ctx,
    `Operator "${op}" cannot compare the complex attribute ${quote(path.canonical)} in ${ctx.label}; compare one of its sub-attributes, as in ${path.canonical}.${example}`,
  );
}

/** Checks operator and value against the attribute's type; returns the value in the form evaluators compare. */
function checkComparison(path: ResolvedPath, op: CompareOp, value: FilterValue, ctx: Context): FilterValue {
  const { type } = path.leaf;
  const name = quote(path.canonical);
  if (value === null) {
    if (op === "eq" || op === "ne") return null;
    throw fail(ctx, `Operator "${op}" cannot compare ${name} with null in ${ctx.label}; only "eq null" and "ne null" are meaningful (or use "pr")`);
  }
  if ((type === "boolean" || type === "binary") && op !== "eq" && op !== "ne") {
    throw fail(ctx, `Operator "${op}" cannot be used on the ${type} attribute ${name} in ${ctx.label}; use eq, ne or pr`);
  }
  if (STRING_OPS.has(op) && type !== "string" && type !== "reference") {
    throw fail(ctx, `Operator "${op}" cannot be used on the ${type} attribute ${name} in ${ctx.label}; co, sw and ew need a string attribute`);
  }
  const wrongValue = (expected: string) =>
    fail(ctx, `${name} is ${type === "integer" ? "an" : "a"} ${type} attribute, so "${op}" in ${ctx.label} needs ${expected}, not ${describeValue(value)}`);
  switch (type) {
    case "boolean":
      if (typeof value !== "boolean") throw wrongValue("true or false");
      return value;
    case "integer":
    case "decimal":
      if (typeof value !== "number") throw wrongValue("a number");
      return value;
    case "dateTime": {
      if (typeof value !== "string") throw wrongValue(`a quoted date-time such as "2011-05-13T04:42:34Z"`);
      const instant = parseDateTime(value);
      if (instant === undefined) {
        throw fail(ctx, `${quote(value)} is not a valid date-time for ${name} in ${ctx.label}; expected an xsd:dateTime such as "2011-05-13T04:42:34Z"`);
      }
      return new Date(instant).toISOString();
    }
    case "string":
    case "reference":
    case "binary":
      if (typeof value !== "string") throw wrongValue("a quoted string");
      return value;
    case "complex":
      throw fail(ctx, `${name} is complex and cannot be compared in ${ctx.label}`);
  }
}

function describeValue(value: FilterValue): string {
  return typeof value === "string" ? `the string ${quote(value)}` : `${typeof value} ${String(value)}`;
}
