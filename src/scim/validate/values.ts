// Checks and coercions for single simple values (RFC 7643 §2.3 data types), plus how a bad value is
// quoted in an error detail.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short rendering of a value for an error detail: enough to recognise it, never the whole payload. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return value.length > 60 ? `"${value.slice(0, 57)}..."` : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** Booleans, and "true"/"false" in any case: Entra sends `"active": "False"`. */
export function coerceBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const lower = value.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Numbers, and numeric strings (some clients send every value as a string). Integers must be exact. */
export function coerceNumber(value: unknown, integer: boolean): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && (integer ? INTEGER_TEXT : DECIMAL_TEXT).test(value.trim())) n = Number(value.trim());
  else return undefined;
  if (integer) return Number.isSafeInteger(n) ? n : undefined;
  return Number.isFinite(n) ? n : undefined;
}

// xsd:dateTime as RFC 7643 §2.3.5 requires: date "T" time, optional fraction, optional zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))?$/;

export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (day > daysInMonth(year, month)) return false;
  if (m[7] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59)) return false;
  return true;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** RFC 7643 §2.3.6 binary is base64; line breaks (PEM habit) are tolerated, and base64url is accepted too. */
export function isBase64(value: string): boolean {
  const compact = value.replace(/[\r\n\t ]/g, "");
  if (compact === "") return false;
  return BASE64.test(compact) || (BASE64URL.test(compact) && compact.length % 4 !== 1);
}
