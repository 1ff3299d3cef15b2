// The pure OAuth pieces: parameter reading (RFC 6749 §3.1), redirect URI rules (§3.1.2), client
// credentials (§2.3.1), PKCE (RFC 7636 appendix B) and connect codes.
import { describe, expect, it } from "vitest";
import { checkAuthorizationRequest } from "../../src/oauth/authorize-request.ts";
import { readClientCredentials } from "../../src/oauth/client-auth.ts";
import { OAuthError } from "../../src/oauth/errors.ts";
import { readParams, redirectUriProblem, redirectWith } from "../../src/oauth/form.ts";
import { authorizationServerMetadata } from "../../src/oauth/metadata.ts";
import { s256, verifierMatches } from "../../src/oauth/pkce.ts";
import type { ClientRecord } from "../../src/oauth/records.ts";
import { newConnectCode, normalizeConnectCode } from "../../src/oauth/tokens.ts";

const client: ClientRecord = {
  clientId: "oc_abcdefghijklmnop",
  tenant: "acme",
  name: "Okta",
  secretHash: "0".repeat(64),
  redirectUris: ["https://idp.example/cb"],
  requirePkce: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  revokedAt: null,
};

const params = (query: string) => readParams(new URLSearchParams(query));

describe("RFC 6749 §3.1 parameters", () => {
  it("an empty value counts as absent; a repeated one is reported", () => {
    const parsed = params("a=&b=1&b=2&c=3");
    expect(parsed.params.has("a")).toBe(false);
    expect(parsed.repeated).toEqual(["b"]);
    expect(parsed.params.get("c")).toBe("3");
  });
});

describe("RFC 6749 §3.1.2 redirect URIs", () => {
  it("https anywhere, http only on loopback, never a fragment or user info", () => {
    expect(redirectUriProblem("https://acme.okta.com/callback")).toBeNull();
    expect(redirectUriProblem("http://127.0.0.1:9000/cb")).toBeNull();
    expect(redirectUriProblem("http://localhost/cb")).toBeNull();
    expect(redirectUriProblem("http://idp.example/cb")).toMatch(/https/);
    expect(redirectUriProblem("https://idp.example/cb#frag")).toMatch(/fragment/);
    expect(redirectUriProblem("https://user:pw@idp.example/cb")).toMatch(/user info/);
    expect(redirectUriProblem("/relative")).toMatch(/absolute/);
  });

  it("response parameters keep the redirect URI's own query", () => {
    expect(redirectWith("https://idp.example/cb?tenant=1", { code: "c d", state: null })).toBe("https://idp.example/cb?tenant=1&code=c+d");
  });

  it("exact match only: a different query or trailing slash is not the registered URI", () => {
    for (const uri of ["https://idp.example/cb/", "https://idp.example/cb?x=1", "https://IDP.example/cb"]) {
      const check = checkAuthorizationRequest(params(`response_type=code&client_id=${client.clientId}&redirect_uri=${encodeURIComponent(uri)}`), client);
      expect(check.kind).toBe("page");
    }
  });
});

describe("RFC 6749 §2.3.1 client credentials", () => {
  it("HTTP Basic parts are form-urlencoded first", () => {
    const header = `Basic ${btoa(`${encodeURIComponent("oc_abc")}:${encodeURIComponent("s:e+c/r%t")}`)}`;
    expect(readClientCredentials(header, new Map())).toEqual({ clientId: "oc_abc", secret: "s:e+c/r%t", method: "client_secret_basic" });
  });

  it("body credentials are client_secret_post", () => {
    const body = new Map([["client_id", "oc_abc"], ["client_secret", "x"]]);
    expect(readClientCredentials(undefined, body).method).toBe("client_secret_post");
  });

  it("a Basic client_id that differs from the body's is refused", () => {
    const header = `Basic ${btoa("oc_abc:x")}`;
    expect(() => readClientCredentials(header, new Map([["client_id", "oc_other"]]))).toThrow(OAuthError);
  });
});

describe("RFC 7636 PKCE", () => {
  it("appendix B's example verifier and challenge", async () => {
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    expect(await s256(verifier)).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(await verifierMatches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(true);
    expect(await verifierMatches("short", await s256("short"))).toBe(false);
  });
});

describe("connect codes", () => {
  it("XXXX-XXXX from an alphabet without look-alikes; case, spaces and dashes do not matter", () => {
    for (let i = 0; i < 200; i++) expect(newConnectCode()).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(normalizeConnectCode(" k7qm - x2pd ")).toBe("K7QMX2PD");
  });
});

describe("RFC 8414 metadata per region", () => {
  it("com and de each name their own issuer and endpoints", () => {
    for (const base of ["https://scim.example.com", "https://scim.example.de"]) {
      const metadata = authorizationServerMetadata(`${base}/`);
      expect(metadata.issuer).toBe(base);
      expect(metadata.authorization_endpoint).toBe(`${base}/oauth/authorize`);
      expect(metadata.token_endpoint).toBe(`${base}/oauth/token`);
      expect(metadata.revocation_endpoint).toBe(`${base}/oauth/revoke`);
    }
  });
});
