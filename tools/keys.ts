// Entry point of `npm run keys -- <command>`: parse, run one key command, print a table/text or JSON.
// Exit status: 0 done, 2 bad input, 1 wrangler or environment failure (see errors.ts).
import { KEYS_USAGE, parseKeysArgs, type KeysCommand } from "./args.ts";
import { baseUrls, publicBaseUrl } from "./config.ts";
import { runEntryPoint } from "./errors.ts";
import { describeKey, formatTime, keyTable, tokenBlock } from "./format.ts";
import { createKey, listKeys, revokeKey, rotateKey } from "./key-commands.ts";
import type { Target } from "./wrangler.ts";

// Revocation is not instant everywhere, and the operator should know it (see DESIGN.md, Credentials).
const PROPAGATION_NOTE =
  "Running workers may accept a revoked key for about a minute more: they cache keys (KEY_CACHE_SECONDS) and KV takes up to 60 s to reach every location.";

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function run(command: KeysCommand, target: Target, json: boolean): Promise<void> {
  switch (command.name) {
    case "create": {
      // Read the config before writing anything, so a broken wrangler.toml cannot leave an unseen key.
      const urls = baseUrls(publicBaseUrl(target.env), command.tenant);
      const { token, key, tenant } = await createKey(target, command);
      if (json) return print(JSON.stringify({ token, keyId: key.keyId, tenant: key.tenant, baseUrl: urls.tenant }));
      if (tenant.created) print(`Created tenant ${key.tenant} (region ${target.env ?? "local"}).`);
      if (tenant.status !== "active") print(`Warning: tenant ${key.tenant} is ${tenant.status}; its keys are refused until it is active.`);
      return print(`Issued ${describeKey(key)}.\n\n${tokenBlock(token, urls)}`);
    }
    case "list": {
      const keys = await listKeys(target, command.tenant);
      if (json) return print(JSON.stringify({ tenant: command.tenant, keys }));
      return print(keys.length === 0 ? `No keys for tenant ${command.tenant}.` : keyTable(keys));
    }
    case "revoke": {
      const key = await revokeKey(target, command.keyId);
      if (json) return print(JSON.stringify(key));
      return print(`Key ${key.keyId} of tenant ${key.tenant} is revoked since ${formatTime(key.revokedAt)}.\n${PROPAGATION_NOTE}`);
    }
    case "rotate": {
      const publicUrl = publicBaseUrl(target.env);
      const { token, key, replaced } = await rotateKey(target, command.keyId, command.graceMinutes);
      const urls = baseUrls(publicUrl, key.tenant);
      if (json) {
        return print(
          JSON.stringify({
            token,
            keyId: key.keyId,
            tenant: key.tenant,
            baseUrl: urls.tenant,
            replacedKeyId: replaced.keyId,
            replacedRevokedAt: replaced.revokedAt,
          }),
        );
      }
      const when = replaced.state === "revoked" ? "is revoked now" : `stops working at ${formatTime(replaced.revokedAt)}`;
      return print(
        `Issued ${describeKey(key)}.\nThe replaced key ${replaced.keyId} ${when}. ${PROPAGATION_NOTE}\n\n${tokenBlock(token, urls)}`,
      );
    }
  }
}

await runEntryPoint(async () => {
  const invocation = parseKeysArgs(process.argv.slice(2));
  if (invocation.help) return print(KEYS_USAGE);
  await run(invocation.command, invocation.target, invocation.json);
});
