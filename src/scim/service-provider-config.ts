// RFC 7643 §5: what this server supports. Keep it true: clients configure themselves from it.
import { CURSOR_TIMEOUT_SECONDS } from "./cursor.ts";
import { DEFAULT_COUNT, MAX_COUNT } from "./list-query.ts";

export const SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: true },
    // On the indexed attributes only (src/scim/sort.ts); any other sortBy is a 400 naming them.
    sort: { supported: true },
    etag: { supported: true },
    // RFC 9865 §4. Index paging stays the default: Okta and Entra page with startIndex.
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: "index",
      defaultPageSize: DEFAULT_COUNT,
      maxPageSize: MAX_COUNT,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "Authentication with a bearer API token issued by the operator (scim_<keyId>_<secret>).",
        primary: true,
      },
      {
        type: "oauth2",
        name: "OAuth 2.0",
        description:
          "OAuth 2.0 access tokens (authorization code with refresh, or client credentials) from this deployment's authorization server; metadata at /.well-known/oauth-authorization-server.",
        specUri: "https://www.rfc-editor.org/rfc/rfc6749",
      },
      {
        type: "httpbasic",
        name: "HTTP Basic",
        description: "HTTP Basic with the tenant slug as username and the API token as password.",
      },
    ],
    meta: {
      resourceType: "ServiceProviderConfig",
      location: `${baseUrl}/ServiceProviderConfig`,
    },
  };
}
