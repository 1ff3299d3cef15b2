import type { ScimError } from "../scim/errors.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

export function scimJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": SCIM_CONTENT_TYPE, ...headers },
  });
}

export function scimErrorResponse(error: ScimError): Response {
  return scimJson(error.toJSON(), error.status, error.headers);
}

