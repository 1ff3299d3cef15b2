// Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): client_secret_basic
// (HTTP Basic, both parts form-urlencoded first) or client_secret_post (client_id and client_secret in
// the body). A request using both is refused (§2.3: a client MUST NOT use more than one method).
import { invalidClient, invalidRequest } from "./errors.ts";
import type { Params } from "./form.ts";

export interface ClientCredentials {
  clientId: string;
  secret: string;
  method: "client_secret_basic" | "client_secret_post";
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

function readBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function readClientCredentials(authorization: string | undefined, params: Params): ClientCredentials {
  const bodyId = params.get("client_id");
  const bodySecret = params.get("client_secret");
  if (authorization !== undefined) {
    const basic = readBasic(authorization);
    if (basic === null) throw invalidClient();
    if (bodySecret !== undefined) throw invalidRequest("Use one client authentication method: HTTP Basic or client_secret in the body, not both.");
    if (bodyId !== undefined && bodyId !== basic.clientId) throw invalidRequest("client_id in the body differs from the one in HTTP Basic.");
    return { ...basic, method: "client_secret_basic" };
  }
  if (bodyId === undefined || bodySecret === undefined) throw invalidClient();
  return { clientId: bodyId, secret: bodySecret, method: "client_secret_post" };
}
