// Request bodies: SCIM or plain JSON (Okta sends both), at most MAX_BODY_BYTES, valid UTF-8, a JSON object
// nesting at most MAX_JSON_DEPTH deep, with well-formed Unicode strings and no key given twice in one object.
// The capped UTF-8 read (readBodyText) serves the OAuth forms too, with their own limit and error format.
import { badRequest, payloadTooLarge, unsupportedMediaType } from "../scim/errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of objects and arrays accepted in a body (the body object itself is depth 1). The deepest
 * legitimate SCIM body is a PATCH carrying extension data (MAX_EXTENSION_DEPTH 8) at about depth 13. Past this,
 * a 1 MiB body could nest 500,000 levels deep, and every recursive walk of it (merging, cloning, comparing)
 * would exhaust the stack: that is a 400 here, before anything walks it.
 */
export const MAX_JSON_DEPTH = 32;

const ACCEPTED_MEDIA_TYPES = new Set(["application/scim+json", "application/json"]);

export const tooLarge = () =>
  payloadTooLarge(`The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`);

/** Rejects a declared oversize body before anything reads it. */
export function checkDeclaredLength(request: Request): void {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

/** The media type of the request's Content-Type, lower case and without parameters ("" when there is none). */
export function mediaTypeOf(request: Request): string {
  return (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** What a body reader answers for a body that is too long or not UTF-8: SCIM and OAuth each in their own format. */
export interface BodyErrors {
  tooLarge: () => Error;
  notUtf8: () => Error;
}

const JSON_BODY_ERRORS: BodyErrors = {
  tooLarge,
  notUtf8: () => badRequest("invalidSyntax", "The request body is not valid UTF-8."),
};

/**
 * The body as text, refused as soon as it passes `limit` bytes (a chunked body declares no length to check
 * first), and refused when it is not valid UTF-8.
 */
export async function readBodyText(request: Request, limit: number, errors: BodyErrors): Promise<string> {
  const bytes = await readAtMost(request, limit, errors.tooLarge);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw errors.notUtf8();
  }
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const mediaType = mediaTypeOf(request);
  if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw unsupportedMediaType(
      `Unsupported Content-Type "${mediaType || "(none)"}": send application/scim+json or application/json.`,
    );
  }
  checkDeclaredLength(request);
  const text = await readBodyText(request, MAX_BODY_BYTES, JSON_BODY_ERRORS);
  if (text.trim() === "") throw badRequest("invalidSyntax", "The request body is empty; a JSON object is required.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest("invalidSyntax", `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw badRequest("invalidSyntax", "The request body must be a JSON object.");
  }
  checkJsonText(text);
  return parsed as Record<string, unknown>;
}

const BACKSLASH = 0x5c;
/** Outside strings, the characters that matter; inside a string, its end or an escape. Both skip the rest natively. */
const STRUCTURE = /["{}[\],]/g;
const STRING_STOP = /["\\]/g;

/**
 * One pass over JSON text that JSON.parse has accepted (so strings are well delimited and escapes valid),
 * rejecting what JSON.parse lets through silently:
 * - nesting deeper than MAX_JSON_DEPTH;
 * - a `\uD800`-style escape that is not half of a surrogate pair: not a Unicode character (RFC 7643 §2.3.1
 *   strings are Unicode; RFC 8259 §8.2), so storing it would store something no client can read back;
 * - a key given twice in one object, where JSON.parse would keep the last one without a word
 *   (RFC 8259 §4: names SHOULD be unique; which value counts is then anyone's guess).
 */
function checkJsonText(text: string): void {
  // Keys seen in each open object (null for arrays), and whether the next string in an object is a key.
  const keys: (Set<string> | null)[] = [];
  let expectKey = false;
  STRUCTURE.lastIndex = 0;
  for (let match = STRUCTURE.exec(text); match !== null; match = STRUCTURE.exec(text)) {
    const c = match[0];
    if (c === '"') {
      const start = match.index;
      let escaped = false;
      let end = start;
      STRING_STOP.lastIndex = start + 1;
      for (let stop = STRING_STOP.exec(text); stop !== null; stop = STRING_STOP.exec(text)) {
        end = stop.index;
        if (stop[0] === '"') break;
        escaped = true;
        // Skip the escaped character; a \u escape is checked and skipped whole.
        STRING_STOP.lastIndex = text.charCodeAt(end + 1) === 0x75 /* u */ ? checkUnicodeEscape(text, end + 1) + 1 : end + 2;
      }
      STRUCTURE.lastIndex = end + 1;
      const open = keys.at(-1);
      if (expectKey && open) {
        const raw = text.slice(start + 1, end);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (open.has(key)) {
          throw badRequest("invalidSyntax", `The request body gives the key ${JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key)} twice in one object; each key may appear once.`);
        }
        open.add(key);
        expectKey = false;
      }
    } else if (c === "{" || c === "[") {
      keys.push(c === "{" ? new Set() : null);
      expectKey = c === "{";
      if (keys.length > MAX_JSON_DEPTH) {
        throw badRequest("invalidSyntax", `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are allowed.`);
      }
    } else if (c === "}" || c === "]") {
      keys.pop();
      expectKey = false;
    } else {
      expectKey = keys.at(-1) instanceof Set;
    }
  }
}

/** `i` is at the "u" of a \u escape; returns the index of its last hex digit, past a low surrogate that pairs with it. */
function checkUnicodeEscape(text: string, i: number): number {
  const unit = parseInt(text.slice(i + 1, i + 5), 16);
  const end = i + 4;
  if (unit < 0xd800 || unit > 0xdfff) return end;
  if (unit <= 0xdbff && text.charCodeAt(end + 1) === BACKSLASH && text.charCodeAt(end + 2) === 0x75) {
    const next = parseInt(text.slice(end + 3, end + 7), 16);
    if (next >= 0xdc00 && next <= 0xdfff) return end + 6;
  }
  throw badRequest(
    "invalidSyntax",
    `The request body contains the escape "\\u${text.slice(i + 1, i + 5)}" at character ${i}, half of a UTF-16 surrogate pair without its other half; strings must be valid Unicode.`,
  );
}

async function readAtMost(request: Request, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
