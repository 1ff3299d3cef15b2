// Checking an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) against the client it names.
// The order matters (§4.1.2.1): until client_id and redirect_uri are known good, an error is shown on
// our own page and NEVER redirected, so nobody can use this endpoint to bounce a browser to their site.
import type { ParsedParams } from "./form.ts";
import { isPkceValue } from "./pkce.ts";
import type { ClientRecord } from "./records.ts";

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  state: string | null;
  codeChallenge: string | null;
}

export type AuthorizationCheck =
  | { kind: "ok"; request: AuthorizationRequest }
  /** Shown on our page; the browser is not sent anywhere. */
  | { kind: "page"; message: string }
  /** Sent back to the client's redirect URI as `error=...`. */
  | { kind: "redirect"; redirectUri: string; state: string | null; error: string; description: string };

/** The client_id to look up, or why the request cannot even name a client. */
export function requestedClientId({ params, repeated }: ParsedParams): { clientId: string } | { message: string } {
  if (repeated.includes("client_id")) return { message: "The request names client_id more than once." };
  const clientId = params.get("client_id");
  if (clientId === undefined) return { message: "The request has no client_id." };
  return { clientId };
}

export function checkAuthorizationRequest(parsed: ParsedParams, client: ClientRecord | null): AuthorizationCheck {
  const { params, repeated } = parsed;
  if (client === null || client.revokedAt !== null) return { kind: "page", message: "This client is not registered with this service, or it was revoked." };
  if (repeated.includes("redirect_uri")) return { kind: "page", message: "The request names redirect_uri more than once." };
  const given = params.get("redirect_uri");
  let redirectUri: string;
  if (given !== undefined) {
    // Exact string comparison (RFC 6749 §3.1.2.3 and OAuth 2.1): no prefix or pattern matching.
    if (!client.redirectUris.includes(given)) return { kind: "page", message: "The redirect_uri is not one registered for this client." };
    redirectUri = given;
  } else {
    const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
    if (only === undefined) return { kind: "page", message: "The request has no redirect_uri, and this client has several registered." };
    redirectUri = only;
  }

  const state = repeated.includes("state") ? null : (params.get("state") ?? null);
  const fail = (error: string, description: string): AuthorizationCheck => ({ kind: "redirect", redirectUri, state, error, description });
  if (repeated.length > 0) return fail("invalid_request", `Parameters sent more than once: ${repeated.join(", ")}.`);
  const responseType = params.get("response_type");
  if (responseType === undefined) return fail("invalid_request", "response_type is missing.");
  if (responseType !== "code") return fail("unsupported_response_type", "Only response_type=code is supported.");

  const challenge = params.get("code_challenge") ?? null;
  const method = params.get("code_challenge_method");
  if (challenge === null && method !== undefined) return fail("invalid_request", "code_challenge_method without code_challenge.");
  if (challenge !== null) {
    // RFC 7636 §4.3 defaults the method to plain; only S256 is offered, so it must be named.
    if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256.");
    if (!isPkceValue(challenge)) return fail("invalid_request", "code_challenge must be 43-128 characters of [A-Za-z0-9._~-].");
  }
  if (client.requirePkce && challenge === null) return fail("invalid_request", "This client must use PKCE: send code_challenge with method S256.");

  return {
    kind: "ok",
    request: { clientId: client.clientId, redirectUri, redirectUriGiven: given !== undefined, state, codeChallenge: challenge },
  };
}
