// The authorization page: plain server-rendered HTML (hono/html escapes every interpolated value), one
// form, no script, so it works with JavaScript off. Headers forbid framing (clickjacking) and caching.
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AuthorizationRequest } from "../oauth/authorize-request.ts";

export const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  // No script, no external resource, no framing; the form posts only to this origin.
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.75rem;border-radius:4px}
label{display:block;margin:1rem 0 .25rem;font-weight:600}input[type=text]{font:inherit;font-size:1.2rem;letter-spacing:.1em;padding:.4rem;width:12rem}
.actions{margin-top:1.25rem;display:flex;gap:.75rem}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}
.muted{color:#555;font-size:.9rem}`;

function layout(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head>
<body>${body}</body>
</html>`;
}

export interface ConsentView {
  request: AuthorizationRequest;
  clientName: string;
  tenant: string;
  region: string;
  csrf: string;
  /** Shown above the form after a wrong or expired code. */
  problem: string | null;
}

export function consentPage(view: ConsentView) {
  const { request } = view;
  return layout(
    `Connect ${view.clientName} to ${view.tenant}`,
    html`<h1>Connect <span id="client">${view.clientName}</span> to tenant <span id="tenant">${view.tenant}</span></h1>
<p><strong>${view.clientName}</strong> asks to provision and manage users and groups of tenant
<strong>${view.tenant}</strong> (region ${view.region}) through SCIM.</p>
<p class="muted">You will be returned to ${new URL(request.redirectUri).origin}.</p>
${view.problem === null ? "" : html`<p class="error" id="problem" role="alert">${view.problem}</p>`}
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="client_id" value="${request.clientId}">
${request.redirectUriGiven ? html`<input type="hidden" name="redirect_uri" value="${request.redirectUri}">` : ""}
${request.state === null ? "" : html`<input type="hidden" name="state" value="${request.state}">`}
${request.codeChallenge === null ? "" : html`<input type="hidden" name="code_challenge" value="${request.codeChallenge}"><input type="hidden" name="code_challenge_method" value="S256">`}
<input type="hidden" name="response_type" value="code">
<label for="connect_code">Connect code</label>
<input type="text" id="connect_code" name="connect_code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX" maxlength="32">
<p class="muted">The one-time code from the operator of this service (valid 15 minutes).</p>
<div class="actions">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="decline" id="decline">Decline</button>
</div>
</form>`,
  );
}

/** A request we must not redirect (unknown client, bad redirect_uri, failed CSRF check, too many attempts). */
export function problemPage(title: string, message: string) {
  return layout(
    title,
    html`<h1>${title}</h1>
<p class="error" id="problem" role="alert">${message}</p>
<p>Nothing was granted. Start the connection again from your identity provider, or ask the operator of this service for help.</p>`,
  );
}
