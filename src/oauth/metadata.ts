// RFC 8414 authorization server metadata: one document per regional deployment, built from its
// PUBLIC_BASE_URL (the issuer), never from the request's Host.
export interface OAuthEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  revoke: string;
}

export function oauthEndpoints(publicBaseUrl: string): OAuthEndpoints {
  const issuer = publicBaseUrl.replace(/\/+$/, "");
  return { issuer, authorize: `${issuer}/oauth/authorize`, token: `${issuer}/oauth/token`, revoke: `${issuer}/oauth/revoke` };
}

export const OAUTH_SCOPE = "scim";
const CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"];

export function authorizationServerMetadata(publicBaseUrl: string) {
  const endpoints = oauthEndpoints(publicBaseUrl);
  return {
    issuer: endpoints.issuer,
    authorization_endpoint: endpoints.authorize,
    token_endpoint: endpoints.token,
    revocation_endpoint: endpoints.revoke,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    code_challenge_methods_supported: ["S256"],
    scopes_supported: [OAUTH_SCOPE],
  };
}
