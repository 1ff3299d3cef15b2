// The authorization endpoint (RFC 6749 §4.1.1-§4.1.2.1, RFC 7636 §4.3) and its page: what a browser and
// the identity provider see for every outcome.
import { describe, expect, it } from "vitest";
import {
  authorizeQuery,
  connectCode,
  createClient,
  fetchWorker,
  openPage,
  pkcePair,
  REDIRECT,
  submit,
} from "./oauth-helpers.ts";

const redirected = (response: Response) => new URL(response.headers.get("Location") ?? "about:blank");

describe("authorization page", () => {
  it("names the tenant and client and asks for the connect code, unframeable and uncached", async () => {
    const client = await createClient("page-acme", { name: "Okta Production" });
    const { response, html, cookie } = await openPage(authorizeQuery(client));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(html).toContain('<span id="client">Okta Production</span>');
    expect(html).toContain('<span id="tenant">page-acme</span>');
    expect(html).toContain('name="connect_code"');
    expect(html).not.toContain("<script");
    expect(cookie).toMatch(/^oauth_csrf=[A-Za-z0-9_-]{43}$/);
    expect(response.headers.get("Set-Cookie")).toMatch(/HttpOnly/);
    expect(response.headers.get("Set-Cookie")).toMatch(/SameSite=Strict/);
  });

  it("escapes the client name it shows", async () => {
    const client = await createClient("page-escape", { name: '<img src=x onerror="alert(1)">' });
    const { html } = await openPage(authorizeQuery(client));
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x");
  });
});

describe("RFC 6749 §4.1.2.1: a bad client or redirect_uri is shown, never redirected", () => {
  it("unknown client_id", async () => {
    const response = await fetchWorker(`/oauth/authorize?response_type=code&client_id=oc_aaaaaaaaaaaaaaaa&redirect_uri=${encodeURIComponent(REDIRECT)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(await response.text()).toContain("not registered");
  });

  it("missing client_id", async () => {
    const response = await fetchWorker(`/oauth/authorize?response_type=code`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("a redirect_uri that is not registered, even one sharing the registered prefix", async () => {
    const client = await createClient("redir-acme");
    for (const uri of ["https://evil.example/cb", `${REDIRECT}/../evil`, `${REDIRECT}?x=1`]) {
      const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client, { redirect_uri: uri })}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
    }
  });

  it("a revoked client", async () => {
    const client = await createClient("redir-revoked");
    const { env } = await import("cloudflare:workers");
    await env.KV.put(`oauth:client:${client.clientId}`, JSON.stringify({ ...client.record, revokedAt: new Date().toISOString() }));
    const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("without redirect_uri the single registered one is used", async () => {
    const client = await createClient("redir-single");
    const { response } = await openPage(new URLSearchParams({ response_type: "code", client_id: client.clientId }).toString());
    expect(response.status).toBe(200);
  });

  it("without redirect_uri and several registered, the page refuses", async () => {
    const client = await createClient("redir-many", { redirectUris: [REDIRECT, "https://other.example/cb"] });
    const response = await fetchWorker(`/oauth/authorize?response_type=code&client_id=${client.clientId}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });
});

describe("RFC 6749 §4.1.2.1: other errors go back to the client with state", () => {
  it("unsupported_response_type", async () => {
    const client = await createClient("err-rt");
    const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client, { response_type: "token" })}`);
    expect(response.status).toBe(303);
    const location = redirected(response);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("error")).toBe("unsupported_response_type");
    expect(location.searchParams.get("state")).toBe("xyz");
  });

  it("PKCE with method plain is refused (only S256)", async () => {
    const client = await createClient("err-plain");
    const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client, { code_challenge: "a".repeat(43), code_challenge_method: "plain" })}`);
    expect(redirected(response).searchParams.get("error")).toBe("invalid_request");
  });

  it("a client registered with PKCE must send a code_challenge", async () => {
    const client = await createClient("err-pkce", { requirePkce: true });
    const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client)}`);
    expect(redirected(response).searchParams.get("error")).toBe("invalid_request");
    expect(redirected(response).searchParams.get("error_description")).toContain("PKCE");
    const { challenge } = await pkcePair();
    const { response: ok } = await openPage(authorizeQuery(client, { code_challenge: challenge, code_challenge_method: "S256" }));
    expect(ok.status).toBe(200);
  });

  it("a parameter sent twice", async () => {
    const client = await createClient("err-dup");
    const response = await fetchWorker(`/oauth/authorize?${authorizeQuery(client)}&response_type=code`);
    expect(redirected(response).searchParams.get("error")).toBe("invalid_request");
  });
});

describe("approve, decline, wrong and expired codes", () => {
  it("approve with the connect code redirects with a code and the state", async () => {
    const client = await createClient("flow-ok");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { connect_code: await connectCode("flow-ok"), decision: "approve" });
    expect(response.status).toBe(303);
    const location = redirected(response);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get("state")).toBe("xyz");
  });

  it("the connect code is accepted in any case and without its dash, and only once", async () => {
    const client = await createClient("flow-once");
    const code = await connectCode("flow-once");
    const form = await openPage(authorizeQuery(client));
    const first = await submit(form, { connect_code: ` ${code.replace("-", "").toLowerCase()} `, decision: "approve" });
    expect(first.status).toBe(303);
    const again = await openPage(authorizeQuery(client));
    const second = await submit(again, { connect_code: code, decision: "approve" });
    expect(second.status).toBe(400);
    expect(await second.text()).toContain("already used");
  });

  it("decline redirects with error=access_denied and grants nothing", async () => {
    const client = await createClient("flow-decline");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { connect_code: await connectCode("flow-decline"), decision: "decline" });
    expect(response.status).toBe(303);
    const location = redirected(response);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("xyz");
    expect(location.searchParams.get("code")).toBeNull();
  });

  it("a wrong code shows the page again with a clear message and no redirect", async () => {
    const client = await createClient("flow-wrong");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { connect_code: "AAAA-AAAA", decision: "approve" });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    const html = await response.text();
    expect(html).toContain('id="problem"');
    expect(html).toContain("not valid for this tenant");
  });

  it("another tenant's connect code is wrong here", async () => {
    const client = await createClient("flow-cross");
    await createClient("flow-other");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { connect_code: await connectCode("flow-other"), decision: "approve" });
    expect(response.status).toBe(400);
  });

  it("an expired code says so", async () => {
    const client = await createClient("flow-expired");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { connect_code: await connectCode("flow-expired", -1), decision: "approve" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("expired");
  });

  it("CSRF: a post without the page's cookie is refused and nothing is redirected", async () => {
    const client = await createClient("flow-csrf");
    const form = await openPage(authorizeQuery(client));
    const code = await connectCode("flow-csrf");
    const noCookie = await submit({ ...form, cookie: "" }, { connect_code: code, decision: "approve" });
    expect(noCookie.status).toBe(403);
    expect(noCookie.headers.get("Location")).toBeNull();
    const otherCookie = await submit({ ...form, cookie: `oauth_csrf=${"A".repeat(43)}` }, { connect_code: code, decision: "approve" });
    expect(otherCookie.status).toBe(403);
    // The code was not spent by the refused posts.
    const ok = await submit(form, { connect_code: code, decision: "approve" });
    expect(ok.status).toBe(303);
  });

  it("a tampered redirect_uri in the form is checked again and refused", async () => {
    const client = await createClient("flow-tamper");
    const form = await openPage(authorizeQuery(client));
    const response = await submit(form, { redirect_uri: "https://evil.example/cb", connect_code: await connectCode("flow-tamper"), decision: "approve" });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("attempts are rate limited per tenant: the right code is refused once over the limit", async () => {
    const client = await createClient("flow-limit");
    const form = await openPage(authorizeQuery(client));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await submit(form, { connect_code: "BBBB-BBBB", decision: "approve" })).status);
    expect(statuses).toEqual(Array(10).fill(400));
    const limited = await submit(form, { connect_code: await connectCode("flow-limit"), decision: "approve" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("60");
    expect(limited.headers.get("Location")).toBeNull();
  });
});
