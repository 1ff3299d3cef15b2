// The one error type. Pure code throws it; the HTTP layer's onError renders it as RFC 7644 §3.12 JSON.
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive"
  | "invalidCursor"
  | "expiredCursor"
  | "invalidCount";

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly headers: Record<string, string>;

  /** Build one through the named factories below; they fix each status's scimType and headers. */
  constructor(init: { status: number; detail: string; scimType?: ScimType; headers?: Record<string, string> }) {
    super(init.detail);
    this.name = "ScimError";
    this.status = init.status;
    this.scimType = init.scimType;
    this.headers = init.headers ?? {};
  }

  toJSON(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

const retryAfter = (seconds: number) => ({ "Retry-After": String(Math.trunc(seconds)) });

export const badRequest = (scimType: ScimType, detail: string) => new ScimError({ status: 400, detail, scimType });
export const unauthorized = (detail = "Authentication is required: send a valid bearer token.") =>
  new ScimError({ status: 401, detail, headers: { "WWW-Authenticate": 'Bearer realm="scim", Basic realm="scim"' } });
export const forbidden = (detail: string) => new ScimError({ status: 403, detail });
export const notFound = (detail: string) => new ScimError({ status: 404, detail });
export const methodNotAllowed = (method: string, allowed: string[]) =>
  new ScimError({
    status: 405,
    detail: `Method ${method} is not supported on this endpoint; use ${allowed.join(", ")}.`,
    headers: { Allow: allowed.join(", ") },
  });
export const conflict = (detail: string) => new ScimError({ status: 409, detail, scimType: "uniqueness" });
/** Optimistic concurrency gave up: other writes kept winning. */
export const concurrentChange = () => new ScimError({ status: 409, detail: "The resource is being changed concurrently; retry the request." });
export const gone = (scimType: ScimType, detail: string) => new ScimError({ status: 410, detail, scimType });
export const preconditionFailed = (detail = "The resource has changed since the version named in If-Match; read it again and retry.") =>
  new ScimError({ status: 412, detail });
/** If-Match named the version read, but another write changed the resource before this one landed. */
export const changedDuringWrite = () =>
  preconditionFailed("The resource changed while this request was applied; read it again and retry.");
export const payloadTooLarge = (detail: string) => new ScimError({ status: 413, detail });
export const unsupportedMediaType = (detail: string) => new ScimError({ status: 415, detail });
/** Retry-After is an integer number of seconds, the only form Okta honours. */
export const tooManyRequests = (retryAfterSeconds: number, detail: string) =>
  new ScimError({ status: 429, detail, headers: retryAfter(retryAfterSeconds) });
export const internalError = (detail = "An internal error occurred. Quote the X-Request-Id when reporting it.") =>
  new ScimError({ status: 500, detail });
export const serviceUnavailable = (detail: string, retryAfterSeconds?: number) =>
  new ScimError({ status: 503, detail, ...(retryAfterSeconds !== undefined ? { headers: retryAfter(retryAfterSeconds) } : {}) });
/** A framework's HTTP failure (hono's HTTPException) in the SCIM format. */
export const fromHttpStatus = (status: number, detail: string) => new ScimError({ status, detail });
