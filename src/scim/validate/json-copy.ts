// Copying JSON the server has no schema for (custom extension attributes), under the size limits.
import { badRequest } from "../errors.ts";
import { MAX_EXTENSION_DEPTH, MAX_MULTI_VALUES, MAX_STRING_LENGTH } from "./limits.ts";
import { describeValue, isPlainObject } from "./values.ts";

/**
 * Defines an own property even for the key "__proto__" (which plain assignment would treat as the
 * prototype setter), so client-chosen keys can never reach Object.prototype.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A checked copy of a value inside an unknown extension: kept as given, except that object members whose
 * value is null are dropped (RFC 7643 §2.5: null means unassigned). `depth` is the depth of `value`;
 * the extension object itself is depth 1.
 */
export function copyJson(value: unknown, path: string, depth: number): unknown {
  if (typeof value === "string") {
    if (value.length > MAX_STRING_LENGTH) {
      throw badRequest("invalidValue", `Attribute "${path}" is ${value.length} characters long; at most ${MAX_STRING_LENGTH} are allowed`);
    }
    return value;
  }
  if (typeof value === "boolean" || value === null) return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badRequest("invalidValue", `Attribute "${path}" is not a finite number`);
    return value;
  }
  if (Array.isArray(value) || isPlainObject(value)) {
    if (depth > MAX_EXTENSION_DEPTH) {
      throw badRequest("invalidValue", `Attribute "${path}" nests deeper than ${MAX_EXTENSION_DEPTH} levels; extension data may nest at most ${MAX_EXTENSION_DEPTH} levels deep`);
    }
    if (Array.isArray(value)) {
      if (value.length > MAX_MULTI_VALUES) {
        throw badRequest("invalidValue", `Attribute "${path}" has ${value.length} values; at most ${MAX_MULTI_VALUES} are allowed`);
      }
      return value.map((element, i) => copyJson(element, `${path}[${i}]`, depth + 1));
    }
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === null || member === undefined) continue;
      setOwn(out, key, copyJson(member, `${path}.${key}`, depth + 1));
    }
    return out;
  }
  throw badRequest("invalidValue", `Attribute "${path}" is not a JSON value (got ${describeValue(value)})`);
}
