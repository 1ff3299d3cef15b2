// Command-line parsing for `npm run oauth`: the same flags, target rules and exit statuses as
// `npm run keys` (tools/args.ts), plus the OAuth client's own flags.
import { redirectUriProblem } from "../src/oauth/form.ts";
import { CLIENT_ID_PATTERN } from "../src/oauth/tokens.ts";
import { usageError } from "./errors.ts";
import { KEYS_COMMON_FLAGS, parse, parseTarget, parseTenant, parseText, rejectFlagsOutside, type OptionName } from "./args.ts";
import type { Target } from "./wrangler.ts";

// records.ts allows 10 redirect URIs per client; more than a handful is a sign of a mistake anyway.
const MAX_REDIRECT_URIS = 10;
const MAX_URI_LENGTH = 2000;

export type OAuthCommand =
  | { name: "client create"; tenant: string; clientName: string; redirectUris: string[]; requirePkce: boolean }
  | { name: "client list"; tenant: string }
  | { name: "client revoke"; clientId: string }
  | { name: "connect-code"; tenant: string };

export type OAuthInvocation = { help: true } | { help: false; command: OAuthCommand; target: Target; json: boolean };

export const OAUTH_USAGE = `Usage: npm run oauth -- <command> [flags]

Commands:
  client create <tenant> --redirect-uri URL [--redirect-uri URL ...] [--name TEXT] [--require-pkce]
                      Create the tenant if needed, register an OAuth client, print its client_id and
                      client_secret once (only the secret's hash is stored) and the OAuth endpoints.
  client list <tenant>
                      Show the tenant's OAuth clients (never secrets or hashes).
  client revoke <clientId>
                      Revoke a client and every grant and token issued to it.
  connect-code <tenant>
                      Print a one-time connect code (valid 15 minutes) for the authorization page.

Flags for every command:
  --env com|de        A regional deployment from wrangler.toml (default: the local development config).
  --remote            Use the deployment's real D1/KV (default: local state).
  --persist-to DIR    Directory for local state (default: wrangler's .wrangler/state).
  --json              Machine-readable output.
`;

const COMMAND_FLAGS: Record<OAuthCommand["name"], readonly OptionName[]> = {
  "client create": ["redirect-uri", "name", "require-pkce"],
  "client list": [],
  "client revoke": [],
  "connect-code": [],
};

function parseClientId(text: string): string {
  if (!CLIENT_ID_PATTERN.test(text)) throw usageError(`invalid client id ${JSON.stringify(text)}: expected oc_ and 16 characters from a-z and 2-7`);
  return text;
}

function parseRedirectUris(values: readonly string[] | undefined): string[] {
  if (values === undefined || values.length === 0) throw usageError("client create needs --redirect-uri URL (the identity provider's callback URL)");
  if (values.length > MAX_REDIRECT_URIS) throw usageError(`at most ${MAX_REDIRECT_URIS} --redirect-uri values`);
  for (const uri of values) {
    if (uri.length > MAX_URI_LENGTH) throw usageError(`--redirect-uri is longer than ${MAX_URI_LENGTH} characters`);
    const problem = redirectUriProblem(uri);
    if (problem !== null) throw usageError(`--redirect-uri ${JSON.stringify(uri)} ${problem}`);
  }
  return [...new Set(values)];
}

export function parseOAuthArgs(argv: readonly string[], cwd = process.cwd()): OAuthInvocation {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  const [first, ...rest] = positionals;
  if (first === undefined) throw usageError("missing command: expected client create, client list, client revoke or connect-code (see --help)");
  let name: OAuthCommand["name"];
  let args: string[];
  if (first === "client") {
    const [sub, ...others] = rest;
    if (sub === undefined) throw usageError("client needs a subcommand: create, list or revoke");
    if (sub !== "create" && sub !== "list" && sub !== "revoke") throw usageError(`unknown client subcommand ${JSON.stringify(sub)}: expected create, list or revoke`);
    name = `client ${sub}`;
    args = others;
  } else if (first === "connect-code") {
    name = "connect-code";
    args = rest;
  } else {
    throw usageError(`unknown command ${JSON.stringify(first)}: expected client or connect-code`);
  }
  rejectFlagsOutside(values, [...KEYS_COMMON_FLAGS, ...COMMAND_FLAGS[name]], name);
  const [subject, extra] = args;
  if (subject === undefined) throw usageError(`${name} needs a ${name === "client revoke" ? "client id" : "tenant"}`);
  if (extra !== undefined) throw usageError(`unexpected argument ${JSON.stringify(extra)}`);

  const target = parseTarget(values.env, values.remote ?? false, values["persist-to"], cwd);
  const json = values.json ?? false;
  switch (name) {
    case "client create":
      return {
        help: false,
        target,
        json,
        command: {
          name,
          tenant: parseTenant(subject),
          clientName: parseText("--name", values.name ?? "Identity provider", false),
          redirectUris: parseRedirectUris(values["redirect-uri"]),
          requirePkce: values["require-pkce"] ?? false,
        },
      };
    case "client list":
    case "connect-code":
      return { help: false, target, json, command: { name, tenant: parseTenant(subject) } };
    case "client revoke":
      return { help: false, target, json, command: { name, clientId: parseClientId(subject) } };
  }
}
