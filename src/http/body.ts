// Request bodies: SCIM or plain JSON (Okta sends both), at most MAX_BODY_BYTES, valid UTF-8, a JSON object.
import { ScimError, badRequest } from "../scim/errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const ACCEPTED_MEDIA_TYPES = new Set(["application/scim+json", "application/json"]);

export const tooLarge = () =>
  new ScimError(413, `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`);

/** Rejects a declared oversize body before anything reads it. */
export function checkDeclaredLength(request: Request): void {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const mediaType = (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw new ScimError(
      415,
      `Unsupported Content-Type "${mediaType || "(none)"}": send application/scim+json or application/json.`,
    );
  }
  checkDeclaredLength(request);
  const bytes = await readCapped(request);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest("invalidSyntax", "The request body is not valid UTF-8.");
  }
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
  return parsed as Record<string, unknown>;
}

async function readCapped(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
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
