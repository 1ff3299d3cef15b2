// Small JSON helpers for patching: case-insensitive keys (RFC 7643 §2.1: attribute names are case-insensitive,
// so a stored "Emails" and a patched "emails" are one attribute) and value equality under an attribute's caseExact.
import { foldKey } from "../fold.ts";

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The key of `object` naming `name`, exact spelling first, else case-insensitively. */
export function findKey(object: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const folded = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === folded);
}

export function getProperty(object: JsonObject, name: string): unknown {
  const key = findKey(object, name);
  return key === undefined ? undefined : object[key];
}

/** Sets `name`, dropping a differently-cased key for the same attribute so the result holds one spelling. */
export function setProperty(object: JsonObject, name: string, value: unknown): void {
  const key = findKey(object, name);
  if (key !== undefined && key !== name) delete object[key];
  object[name] = value;
}

export function deleteProperty(object: JsonObject, name: string): void {
  const key = findKey(object, name);
  if (key !== undefined) delete object[key];
}

/** Deep JSON equality; strings compare case-insensitively (foldKey) unless `caseExact`. */
export function jsonEqual(a: unknown, b: unknown, caseExact: boolean): boolean {
  if (typeof a === "string" && typeof b === "string") return caseExact ? a === b : foldKey(a) === foldKey(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i], caseExact));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k], caseExact));
  }
  return a === b;
}

/** A short description of a JSON value for error details. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}
