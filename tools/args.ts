// Command-line parsing for `npm run keys` and `npm run dev`, and the pieces `npm run oauth` shares. Every
// mistake becomes a usage error (exit status 2) whose message names the offending flag or value, so an
// operator can fix it from one line.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { KEY_ID_PATTERN, KEY_SCOPES, TENANT_SLUG_PATTERN, type KeyScope } from "../src/keys/token.ts";
import { errorMessage, usageError } from "./errors.ts";
import { DEPLOY_ENVS, type DeployEnv, type Target } from "./wrangler.ts";

const OPTIONS = {
  env: { type: "string" },
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  label: { type: "string" },
  org: { type: "string" },
  expires: { type: "string" },
  grace: { type: "string" },
  scope: { type: "string" },
  port: { type: "string" },
  "inspector-port": { type: "string" },
  // npm run oauth (tools/oauth-args.ts)
  "redirect-uri": { type: "string", multiple: true },
  name: { type: "string" },
  "require-pkce": { type: "boolean" },
  types: { type: "string" },
} as const;
export type OptionName = keyof typeof OPTIONS;

export const KEYS_COMMON_FLAGS: readonly OptionName[] = ["env", "remote", "persist-to", "json", "help"];
const KEYS_COMMAND_FLAGS = {
  create: ["label", "org", "expires", "scope"],
  list: [],
  revoke: [],
  rotate: ["grace"],
} as const satisfies Record<string, readonly OptionName[]>;
type KeysCommandName = keyof typeof KEYS_COMMAND_FLAGS;

// Far enough for any real policy, near enough that the resulting dates stay valid.
const MAX_EXPIRY_DAYS = 36_500;
const MAX_GRACE_MINUTES = 60 * 24 * 365;
// keyRecordSchema caps labels at 200; the organization gets the same cap so the KV metadata stays small.
const MAX_TEXT_LENGTH = 200;

export type KeysCommand =
  | { name: "create"; tenant: string; label: string; organization: string | null; expiresInDays: number | null; scope: KeyScope }
  | { name: "list"; tenant: string }
  | { name: "revoke"; keyId: string }
  | { name: "rotate"; keyId: string; graceMinutes: number };

export type KeysInvocation = { help: true } | { help: false; command: KeysCommand; target: Target; json: boolean };

export const KEYS_USAGE = `Usage: npm run keys -- <command> [flags]

Commands:
  create <tenant> [--label TEXT] [--org NAME] [--expires DAYS] [--scope scim|app]
                      Create the tenant if needed, issue a key, print its token once and the base URLs.
                      --scope scim (default): the identity provider's key, SCIM only. --scope app: the
                      application's key, SCIM plus /v1 (events API, password checks).
  list <tenant>       Show the tenant's keys with their scopes (never secrets or hashes).
  revoke <keyId>      Revoke a key now.
  rotate <keyId> [--grace MINUTES]
                      Issue a replacement key; the old one stops working after the grace period (default 0).

Flags for every command:
  --env com|de        A regional deployment from wrangler.toml (default: the local development config).
  --remote            Use the deployment's real D1/KV (default: local state).
  --persist-to DIR    Directory for local state (default: wrangler's .wrangler/state).
  --json              Machine-readable output.
`;

export const DEV_USAGE = `Usage: npm run dev -- [--port PORT] [--inspector-port PORT] [--persist-to DIR]

Applies local migrations, issues a fresh "dev" key for tenant "demo" (revoking the previous ones),
prints the token and base URLs, then runs wrangler dev. --inspector-port is wrangler's DevTools port
(default 9229, or a free one when 9229 is taken).
`;

export function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // util.parseArgs reports mistakes as errors with an ERR_PARSE_ARGS_* code; anything else is a bug.
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    const message = errorMessage(error);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw usageError(`unknown flag ${/'([^']+)'/.exec(message)?.[1] ?? message}`);
    }
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) throw usageError(message.split("\n")[0] ?? message);
    throw error;
  }
}

export function rejectFlagsOutside(values: object, allowed: readonly OptionName[], context: string): void {
  for (const name of Object.keys(values)) {
    if (!allowed.includes(name as OptionName)) throw usageError(`unknown flag --${name} for ${context}`);
  }
}

function isKeysCommandName(name: string): name is KeysCommandName {
  return Object.hasOwn(KEYS_COMMAND_FLAGS, name);
}

export function parseKeysArgs(argv: readonly string[], cwd = process.cwd()): KeysInvocation {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  const [name, subject, ...extra] = positionals;
  if (name === undefined) throw usageError("missing command: expected create, list, revoke or rotate (see --help)");
  if (!isKeysCommandName(name)) throw usageError(`unknown command ${JSON.stringify(name)}: expected create, list, revoke or rotate`);
  rejectFlagsOutside(values, [...KEYS_COMMON_FLAGS, ...KEYS_COMMAND_FLAGS[name]], name);
  if (subject === undefined) throw usageError(`${name} needs a ${name === "create" || name === "list" ? "tenant" : "key id"}`);
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);

  const target = parseTarget(values.env, values.remote ?? false, values["persist-to"], cwd);
  const json = values.json ?? false;
  switch (name) {
    case "create":
      return {
        help: false,
        target,
        json,
        command: {
          name,
          tenant: parseTenant(subject),
          label: parseText("--label", values.label ?? "", true),
          organization: values.org === undefined ? null : parseText("--org", values.org, false),
          expiresInDays:
            values.expires === undefined ? null : parseNumber("--expires", values.expires, { min: 0, max: MAX_EXPIRY_DAYS, allowMin: false }),
          scope: parseScope(values.scope),
        },
      };
    case "list":
      return { help: false, target, json, command: { name, tenant: parseTenant(subject) } };
    case "revoke":
      return { help: false, target, json, command: { name, keyId: parseKeyId(subject) } };
    case "rotate":
      return {
        help: false,
        target,
        json,
        command: {
          name,
          keyId: parseKeyId(subject),
          graceMinutes:
            values.grace === undefined ? 0 : parseNumber("--grace", values.grace, { min: 0, max: MAX_GRACE_MINUTES, allowMin: true }),
        },
      };
  }
}

export type DevInvocation = { help: true } | { help: false; port: number; inspectorPort: number | null; persistTo: string | null };

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port < 1 || port > 65_535) throw usageError(`--${flag} must be a port number (1-65535), got ${JSON.stringify(value)}`);
  return port;
}

export function parseDevArgs(argv: readonly string[], cwd = process.cwd()): DevInvocation {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  rejectFlagsOutside(values, ["port", "inspector-port", "persist-to", "help"], "dev");
  if (positionals[0] !== undefined) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const port = values.port === undefined ? 8787 : parsePort("port", values.port);
  const inspector = values["inspector-port"];
  const inspectorPort = inspector === undefined ? null : parsePort("inspector-port", inspector);
  return { help: false, port, inspectorPort, persistTo: parsePersistTo(values["persist-to"], cwd) };
}

export function parseTarget(env: string | undefined, remote: boolean, persistTo: string | undefined, cwd: string): Target {
  if (env !== undefined && !(DEPLOY_ENVS as readonly string[]).includes(env)) {
    throw usageError(`unknown env ${JSON.stringify(env)}: expected ${DEPLOY_ENVS.join(" or ")} (omit --env for local development)`);
  }
  // The top-level config holds placeholder ids that only name local state; a remote call could only fail.
  if (remote && env === undefined) throw usageError("--remote needs --env com|de");
  if (remote && persistTo !== undefined) throw usageError("--persist-to applies to local state only, not with --remote");
  return { env: (env as DeployEnv | undefined) ?? null, remote, persistTo: parsePersistTo(persistTo, cwd) };
}

function parsePersistTo(dir: string | undefined, cwd: string): string | null {
  if (dir === undefined) return null;
  if (dir === "") throw usageError("--persist-to needs a directory");
  // wrangler runs from the repo root, so a relative directory is resolved against the caller's cwd here.
  return resolve(cwd, dir);
}

export function parseTenant(slug: string): string {
  if (!TENANT_SLUG_PATTERN.test(slug)) {
    throw usageError(`invalid tenant ${JSON.stringify(slug)}: use 2-63 characters from a-z, 0-9 and -`);
  }
  return slug;
}

function parseScope(scope: string | undefined): KeyScope {
  if (scope === undefined) return "scim";
  const known = KEY_SCOPES.find((s) => s === scope);
  if (known === undefined) throw usageError(`--scope must be ${KEY_SCOPES.join(" or ")}, got ${JSON.stringify(scope)}`);
  return known;
}

function parseKeyId(keyId: string): string {
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw usageError(`invalid key id ${JSON.stringify(keyId)}: expected 16 characters from a-z and 2-7`);
  }
  return keyId;
}

export function parseText(flag: string, text: string, allowEmpty: boolean): string {
  if (!allowEmpty && text.trim() === "") throw usageError(`${flag} must not be empty`);
  if (text.length > MAX_TEXT_LENGTH) throw usageError(`${flag} is longer than ${MAX_TEXT_LENGTH} characters`);
  // Control characters would break the one-line table and the KV metadata's readability.
  if (/\p{Cc}/u.test(text)) throw usageError(`${flag} must be a single line without control characters`);
  return text;
}

export function parseNumber(flag: string, text: string, range: { min: number; max: number; allowMin: boolean }): number {
  const value = Number(text);
  const wellFormed = /^(?:\d+(?:\.\d+)?|\.\d+)$/.test(text);
  const inRange = value <= range.max && (range.allowMin ? value >= range.min : value > range.min);
  if (!wellFormed || !inRange) {
    const lower = range.allowMin ? `at least ${range.min}` : `greater than ${range.min}`;
    throw usageError(`${flag} must be a number ${lower} and at most ${range.max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
