// Entry point of `npm run dev`: local state ready, a working token in hand, then wrangler dev.
// Only hashes are stored, so an old token cannot be shown again: every run issues a fresh "dev" key
// for tenant "demo" and revokes the earlier ones, so at most one dev key works at a time.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { DEV_USAGE, parseDevArgs } from "./args.ts";
import { baseUrls, devPublicUrl, publicBaseUrl } from "./config.ts";
import { runEntryPoint, wranglerError } from "./errors.ts";
import { tokenBlock } from "./format.ts";
import { startDevCron } from "./dev-cron.ts";
import { createKey, revokeKey, tenantKeys } from "./key-commands.ts";
import { ensureDevVars } from "./dev-secrets.ts";
import { REPO_ROOT, wranglerCommand, wranglerEnv, type Target } from "./wrangler.ts";

const DEMO_TENANT = "demo";
const DEV_LABEL = "dev";

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Issues this run's key and revokes the previous runs' ones; returns the new token. */
async function freshDevToken(target: Target): Promise<string> {
  const { token, key } = await createKey(target, {
    tenant: DEMO_TENANT,
    label: DEV_LABEL,
    organization: null,
    expiresInDays: null,
    scope: "scim",
  });
  const stale = (await tenantKeys(target, DEMO_TENANT)).filter(
    (other) => other.label === DEV_LABEL && other.keyId !== key.keyId && other.state !== "revoked",
  );
  for (const old of stale) await revokeKey(target, old.keyId);
  return token;
}

/** Runs wrangler dev in the foreground; SIGINT/SIGTERM sent to this process are passed on to it. */
function serve(args: string[]): Promise<number> {
  const command = wranglerCommand(args);
  const child = spawn(command.file, command.args, { cwd: REPO_ROOT, env: wranglerEnv(), stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve, reject) => {
    child.on("error", (error) => reject(wranglerError(`wrangler dev could not start: ${error.message}`)));
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}

await runEntryPoint(async () => {
  const invocation = parseDevArgs(process.argv.slice(2));
  if (invocation.help) return print(DEV_USAGE);
  const target: Target = { env: null, remote: false, persistTo: invocation.persistTo };
  const configured = publicBaseUrl(null);
  const publicUrl = devPublicUrl(configured, invocation.port);

  const created = ensureDevVars(REPO_ROOT);
  if (created.length > 0) print(`.dev.vars: created ${created.join(", ")} with random values (local Worker secrets; kept across runs).\n`);
  const token = await freshDevToken(target);
  const urls = baseUrls(publicUrl, DEMO_TENANT);
  print(`Tenant ${DEMO_TENANT}: a fresh "${DEV_LABEL}" key (earlier "${DEV_LABEL}" keys are revoked).\n`);
  print(tokenBlock(token, urls));
  print(`\nTry it:\n  curl -H "Authorization: Bearer ${token}" ${urls.shared}/ServiceProviderConfig\n`);

  // --test-scheduled: the cron timer below triggers scheduled() through /__scheduled (local only).
  const args = ["dev", "--port", String(invocation.port), "--test-scheduled"];
  if (invocation.persistTo !== null) args.push("--persist-to", invocation.persistTo);
  if (invocation.inspectorPort !== null) args.push("--inspector-port", String(invocation.inspectorPort));
  if (publicUrl !== configured) args.push("--var", `PUBLIC_BASE_URL:${publicUrl}`);
  print(`Cron Triggers run every minute (webhook sweep) and every tenth (event prune); webhooks travel on the local queue.\n`);
  const stopCron = startDevCron(invocation.port);
  process.exitCode = await serve(args);
  stopCron();
});
