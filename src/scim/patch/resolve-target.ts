// Resolves a PATCH path (or a path-less `value` key) to a PatchTarget. Known schemas go through the filter
// module's resolver, so PATCH, filters and sortBy agree on names and error details; unknown extensions become
// free-form targets, since a client may store attributes of a schema this server has no definition for.
import type { FilterValue, PatchPath } from "../filter/ast.ts";
import { parsePatchPath } from "../filter/parse.ts";
import { printFilter } from "../filter/print.ts";
import { resolvePatchPath } from "../filter/resolve.ts";
import type { ResolvedFilter } from "../filter/resolved.ts";
import type { ResourceSchemas } from "../schema/registry.ts";
import { opError, withOpContext, type OpContext } from "./op-error.ts";
import type { PatchTarget, ValueSelector } from "./types.ts";
import { classifySchema, isUrn, looksLikeSchemaUrn, type SchemaKind } from "./urn.ts";

/**
 * The schema `text` names when it is a whole schema URN rather than an attribute path: an exact registered
 * URN, or an unregistered one following the `...:<version>:<Resource>` convention. Undefined otherwise.
 */
export function schemaNamedBy(text: string, resource: ResourceSchemas): SchemaKind | undefined {
  if (!isUrn(text) || text.includes("[")) return undefined;
  const kind = classifySchema(text, resource);
  if (kind.kind === "core" || kind.kind === "extension") return kind;
  return looksLikeSchemaUrn(text) ? kind : undefined;
}

/** Parses and resolves an attribute path. `withinSchema` qualifies a bare name (keys inside `{"urn:...": {...}}`). */
export function resolveTarget(text: string, resource: ResourceSchemas, ctx: OpContext, withinSchema?: string): PatchTarget {
  const parsed = withOpContext(ctx, () => parsePatchPath(text));
  if (withinSchema !== undefined) {
    if (parsed.uri !== undefined) {
      throw opError(ctx, "invalidPath", `key "${text}" inside the object for ${withinSchema} must be an attribute name of that schema, not a URN`);
    }
    parsed.uri = withinSchema;
  }
  return resolveParsed(parsed, text, resource, ctx);
}

function resolveParsed(parsed: PatchPath, text: string, resource: ResourceSchemas, ctx: OpContext): PatchTarget {
  if (parsed.uri === undefined && parsed.attribute.toLowerCase() === "schemas") {
    // `schemas` follows from which extensions hold attributes; this engine keeps it in step (see apply.ts).
    throw opError(ctx, "mutability", `"schemas" cannot be patched: the server maintains it from the extension attributes present`);
  }
  if (parsed.uri !== undefined) {
    const kind = classifySchema(parsed.uri, resource);
    if (kind.kind === "unknown") return freeFormTarget(parsed, kind.id, text, ctx);
  }
  const resolved = withOpContext(ctx, () => resolvePatchPath(parsed, resource));
  const { target } = resolved;
  const result: PatchTarget = {
    text,
    schema: target.schema,
    extension: target.extension,
    attribute: target.attribute,
    attributeDef: target.attributeDef,
    ...(target.subAttributeDef !== undefined ? { subAttribute: target.subAttributeDef.name, subAttributeDef: target.subAttributeDef } : {}),
  };
  if (resolved.valueFilter !== undefined && parsed.valueFilter !== undefined) {
    if (!target.attributeDef.multiValued) {
      throw opError(ctx, "invalidPath", `"${target.attribute}" is single-valued; a value filter "[...]" selects elements of a multi-valued attribute`);
    }
    result.valueFilter = selector(printFilter(parsed.valueFilter), resolved.valueFilter);
  } else if (target.subAttribute !== undefined && target.attributeDef.multiValued) {
    // RFC 7644 §3.5.2 reaches into elements with valuePath ("attr[filter].sub"); "emails.value" alone would
    // have to mean every element at once, which no client intends for a write.
    throw opError(
      ctx,
      "invalidPath",
      `"${target.attribute}.${target.subAttribute}" does not say which element of the multi-valued "${target.attribute}" to change; ` +
        `select one with a value filter, as in ${target.attribute}[type eq "work"].${target.subAttribute}`,
    );
  }
  return result;
}

function freeFormTarget(parsed: PatchPath, schema: string, text: string, ctx: OpContext): PatchTarget {
  if (parsed.valueFilter !== undefined) {
    throw opError(ctx, "invalidPath", `value filters need a schema to resolve against, and ${schema} is not a schema this server knows`);
  }
  return {
    text,
    schema,
    extension: true,
    attribute: parsed.attribute,
    ...(parsed.subAttribute !== undefined ? { subAttribute: parsed.subAttribute } : {}),
  };
}

function selector(text: string, filter: ResolvedFilter): ValueSelector {
  const equalities = equalitiesOf(filter);
  return { text, filter, ...(equalities !== undefined ? { equalities } : {}) };
}

/** `a eq x and b eq y ...` → { a: x, b: y }; undefined for any other shape or for contradictory equalities. */
function equalitiesOf(filter: ResolvedFilter): Record<string, Exclude<FilterValue, null>> | undefined {
  const out: Record<string, Exclude<FilterValue, null>> = {};
  const walk = (node: ResolvedFilter): boolean => {
    if (node.kind === "and") return walk(node.left) && walk(node.right);
    if (node.kind !== "compare" || node.op !== "eq" || node.value === null) return false;
    const name = node.path.subAttribute;
    if (name === undefined) return false;
    const seen = out[name];
    if (seen !== undefined && seen !== node.value) return false;
    out[name] = node.value;
    return true;
  };
  return walk(filter) ? out : undefined;
}
