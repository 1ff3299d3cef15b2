// Command-line parsing for `npm run webhooks`. As for keys: every mistake is a usage error (exit status 2)
// whose one line names the offending argument, and nothing is read or written before the input is valid.
import { endpointUrlProblem } from "../src/webhooks/endpoint-url.ts";
import { parseEndpointTypes } from "../src/webhooks/event-types.ts";
import { ENDPOINT_ID_PATTERN } from "../src/webhooks/secrets.ts";
import { parse, parseNumber, parseTarget, parseTenant, rejectFlagsOutside, type OptionName } from "./args.ts";
import { usageError } from "./errors.ts";
import type { Target } from "./wrangler.ts";

const COMMON_FLAGS: readonly OptionName[] = ["env", "remote", "persist-to", "json", "help"];
const COMMANDS = {
  add: { flags: ["types"], subjects: ["tenant", "url"] },
  list: { flags: [], subjects: ["tenant"] },
  remove: { flags: [], subjects: ["endpoint id"] },
  disable: { flags: [], subjects: ["endpoint id"] },
  enable: { flags: [], subjects: ["endpoint id"] },
  "rotate-secret": { flags: ["grace"], subjects: ["endpoint id"] },
  test: { flags: [], subjects: ["endpoint id"] },
  deliveries: { flags: [], subjects: ["endpoint id"] },
} as const satisfies Record<string, { flags: readonly OptionName[]; subjects: readonly string[] }>;
type CommandName = keyof typeof COMMANDS;
const NAMES = Object.keys(COMMANDS).join(", ");

const MAX_GRACE_MINUTES = 60 * 24 * 30;

export type WebhooksCommand =
  | { name: "add"; tenant: string; url: string; types: string | null }
  | { name: "list"; tenant: string }
  | { name: "remove" | "disable" | "enable" | "test" | "deliveries"; endpointId: string }
  | { name: "rotate-secret"; endpointId: string; graceMinutes: number };

export type WebhooksInvocation = { help: true } | { help: false; command: WebhooksCommand; target: Target; json: boolean };

export const WEBHOOKS_USAGE = `Usage: npm run webhooks -- <command> [flags]

Commands:
  add <tenant> <url> [--types user.*,group.members_added]
                      Register an endpoint; print its id and its signing secret (whsec_..., shown once).
                      --types: exact event types or user.* / group.* (default: every type).
  list <tenant>       The tenant's endpoints: URL, types, enabled, failing (never secrets).
  remove <id>         Delete the endpoint, its secret and its delivery log.
  disable <id>        Stop delivering to it (events meanwhile are not delivered later).
  enable <id>         Deliver to it again.
  rotate-secret <id> [--grace MINUTES]
                      New signing secret, printed once; the old one keeps signing for MINUTES (default 0).
  test <id>           Send a signed "ping" event now and print the answer.
  deliveries <id>     The latest delivery attempts: time, event, attempt, status, latency, outcome, error.

Flags for every command:
  --env com|de        A regional deployment from wrangler.toml (default: the local development config).
  --remote            Use the deployment's real D1/KV (default: local state).
  --persist-to DIR    Directory for local state (default: wrangler's .wrangler/state).
  --json              Machine-readable output.

Endpoints must be https without credentials in the URL (plain http only in local development).
`;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

function parseEndpointId(text: string): string {
  if (!ENDPOINT_ID_PATTERN.test(text)) throw usageError(`invalid endpoint id ${JSON.stringify(text)}: expected ep_ and 16 characters from a-z and 2-7`);
  return text;
}

export function parseWebhooksArgs(argv: readonly string[], cwd = process.cwd()): WebhooksInvocation {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  const [name, ...subjects] = positionals;
  if (name === undefined) throw usageError(`missing command: expected one of ${NAMES} (see --help)`);
  if (!isCommandName(name)) throw usageError(`unknown command ${JSON.stringify(name)}: expected one of ${NAMES}`);
  const spec = COMMANDS[name];
  rejectFlagsOutside(values, [...COMMON_FLAGS, ...spec.flags], name);
  const missing = spec.subjects[subjects.length];
  if (missing !== undefined) throw usageError(`${name} needs ${spec.subjects.map((s) => `a ${s}`).join(" and ")}; missing the ${missing}`);
  if (subjects.length > spec.subjects.length) throw usageError(`unexpected argument ${JSON.stringify(subjects[spec.subjects.length])}`);
  const target = parseTarget(values.env, values.remote ?? false, values["persist-to"], cwd);
  const json = values.json ?? false;
  const subject = subjects[0] ?? "";
  switch (name) {
    case "add": {
      const tenant = parseTenant(subject);
      const url = subjects[1] ?? "";
      // Local development is the top-level config on local state; every deployment needs https.
      const problem = endpointUrlProblem(url, target.env === null && !target.remote);
      if (problem !== null) throw usageError(`invalid endpoint URL: ${problem}`);
      const types = parseEndpointTypes(values.types);
      if ("problem" in types) throw usageError(types.problem);
      return { help: false, target, json, command: { name, tenant, url, types: types.types } };
    }
    case "list":
      return { help: false, target, json, command: { name, tenant: parseTenant(subject) } };
    case "rotate-secret":
      return {
        help: false,
        target,
        json,
        command: {
          name,
          endpointId: parseEndpointId(subject),
          graceMinutes: values.grace === undefined ? 0 : parseNumber("--grace", values.grace, { min: 0, max: MAX_GRACE_MINUTES, allowMin: true }),
        },
      };
    default:
      return { help: false, target, json, command: { name, endpointId: parseEndpointId(subject) } };
  }
}
