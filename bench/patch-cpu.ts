// `npm run bench:patch`: CPU time of the costliest PATCH bodies that fit in the 1 MiB body limit, measured on
// the protocol code a PATCH runs (JSON parse, parsePatchRequest, applyPatch, normalizeResource) in Node's V8,
// the engine workerd runs. Each case is one request the HTTP layer accepts; the figure is what one valid
// token can make one request cost. The worker's [limits] cpu_ms (wrangler.toml) must stay well above it.
import { applyPatch, parsePatchRequest } from "../src/scim/patch/index.ts";
import { USER_RESOURCE } from "../src/scim/schema/registry.ts";
import { normalizeResource } from "../src/scim/validate/resource.ts";

const MAX_BODY_BYTES = 1024 * 1024;
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/**
 * The worst case must stay under this. Parsing a 1 MiB body (JSON, then each operation's path and values) is
 * the floor of any such request and the larger part of each figure ("parse"); what applying adds is bounded by
 * the 1000-element cap and MAX_PATCH_ELEMENT_VISITS.
 */
const BUDGET_MS = 100;

const email = (i: number, tag = "") => ({ value: `user${tag}${i}@Example.COM`, type: "work" });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A stored user with `emails` elements (what the stored side of a PATCH can hold: at most 1000). */
function storedUser(emails: number): Record<string, unknown> {
  const resource = {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    id: "u1",
    userName: "victim@example.com",
    ...(emails > 0 ? { emails: range(emails).map((i) => email(i)) } : {}),
  };
  return normalizeResource(resource, USER_RESOURCE).resource;
}

/** As many copies of `op` as fit in 1 MiB (and in the 1000-operation limit). */
function fill(op: (i: number) => unknown): string {
  const operations: unknown[] = [];
  let size = 100;
  for (let i = 0; i < 1000; i++) {
    const next = JSON.stringify(op(i));
    if (size + next.length + 1 > MAX_BODY_BYTES) break;
    size += next.length + 1;
    operations.push(op(i));
  }
  return JSON.stringify({ schemas: [PATCH_OP], Operations: operations });
}

interface Case {
  name: string;
  stored: number;
  body: string;
}

const cases: Case[] = [
  {
    name: "4 ops x 1000 new emails (the issue's 5.1 s case)",
    stored: 0,
    body: JSON.stringify({ schemas: [PATCH_OP], Operations: range(4).map((k) => ({ op: "add", path: "emails", value: range(1000).map((i) => email(i, `k${k}-`)) })) }),
  },
  {
    name: "8 ops x 1000 new emails",
    stored: 0,
    body: JSON.stringify({ schemas: [PATCH_OP], Operations: range(8).map((k) => ({ op: "add", path: "emails", value: range(1000).map((i) => email(i, `k${k}-`)) })) }),
  },
  {
    name: "1 MiB of adds re-adding the 1000 stored emails",
    stored: 1000,
    body: fill(() => ({ op: "add", path: "emails", value: range(1000).map((i) => email(i)) })),
  },
  {
    name: "1000 filtered replaces over 1000 stored emails",
    stored: 1000,
    body: fill((i) => ({ op: "replace", path: `emails[value eq "user${999 - i}@example.com"].display`, value: `n${i}` })),
  },
  {
    name: "1000 single-email adds onto 1000 stored emails",
    stored: 1000,
    body: fill((i) => ({ op: "add", path: "emails", value: [email(i)] })),
  },
  {
    name: "1000 removes with 1000-email values over 1000 stored",
    stored: 1000,
    body: fill(() => ({ op: "remove", path: "emails", value: range(1000).map((i) => email(i + 1, "x")) })),
  },
];

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** CPU ms spent parsing (JSON and PatchOp) in the last run, to tell the request's floor from applying it. */
let parseMs = 0;

function runOnce(c: Case, stored: Record<string, unknown>): string {
  try {
    const started = process.cpuUsage();
    const operations = parsePatchRequest(JSON.parse(c.body), USER_RESOURCE);
    parseMs = cpuMs(started);
    const patched = applyPatch({ ...stored, id: "u1" }, operations, USER_RESOURCE);
    normalizeResource(patched, USER_RESOURCE);
    return "200";
  } catch (error) {
    const status = (error as { status?: number }).status;
    return status === undefined ? `threw ${String(error)}` : String(status);
  }
}

let worst = 0;
console.log(`PATCH CPU time per request (median of 5), protocol code only; budget ${BUDGET_MS} ms`);
for (const c of cases) {
  const stored = storedUser(c.stored);
  const times: number[] = [];
  let outcome = "";
  for (let run = 0; run < 5; run++) {
    const started = process.cpuUsage();
    outcome = runOnce(c, stored);
    times.push(cpuMs(started));
    // One slow run says enough: do not spend minutes repeating a case that is far over budget.
    if (times[0]! > 2000) break;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  worst = Math.max(worst, median);
  console.log(`${median.toFixed(1).padStart(9)} ms (parse ${parseMs.toFixed(1).padStart(5)})  ${outcome}  ${(c.body.length / 1024).toFixed(0).padStart(5)} KiB  ${c.name}`);
}
console.log(`worst case: ${worst.toFixed(1)} ms (${worst <= BUDGET_MS ? "within" : "OVER"} the ${BUDGET_MS} ms budget)`);
if (worst > BUDGET_MS) process.exitCode = 1;
