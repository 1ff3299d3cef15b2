// OAuth 2.0 errors (RFC 6749 §5.2, RFC 7009 §2.2.1). The token and revocation endpoints speak OAuth, not
// SCIM, so their failures have OAuth's wire format; app.ts's onError renders this type next to ScimError.
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type";

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.name = "OAuthError";
    this.code = code;
    this.status = status;
    this.headers = headers;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

export const invalidRequest = (description: string) => new OAuthError("invalid_request", description);
export const invalidGrant = (description: string) => new OAuthError("invalid_grant", description);

/** RFC 6749 §5.2: 401 with a challenge for the scheme the client used (Basic is the one we offer). */
export const invalidClient = () =>
  new OAuthError("invalid_client", "Client authentication failed.", 401, { "WWW-Authenticate": 'Basic realm="oauth"' });

/** RFC 6749 §5.1: token responses and their errors must not be cached. */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };
