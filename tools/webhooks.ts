// Entry point of `npm run webhooks -- <command>`: parse, run one webhook command, print text or JSON.
// Exit status: 0 done, 2 bad input, 1 wrangler or environment failure, or a `test` ping that was not delivered.
import { runEntryPoint, wranglerError } from "./errors.ts";
import { formatTime } from "./format.ts";
import { WEBHOOKS_USAGE, parseWebhooksArgs, type WebhooksCommand } from "./webhook-args.ts";
import { addEndpoint, listDeliveries, listEndpoints, removeEndpoint, rotateSecret, setEnabled, testEndpoint } from "./webhook-commands.ts";
import { deliveryTable, describeEndpoint, endpointTable, secretBlock } from "./webhook-format.ts";
import type { Target } from "./wrangler.ts";

// Workers cache nothing of endpoints, but KV takes up to 60 s to reach every location.
const PROPAGATION_NOTE = "Workers in other locations may see the change up to a minute later (KV propagation).";

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function run(command: WebhooksCommand, target: Target, json: boolean): Promise<void> {
  switch (command.name) {
    case "add": {
      const { endpoint, secret } = await addEndpoint(target, command);
      if (json) return print(JSON.stringify({ ...endpoint, secret }));
      return print(`Added ${describeEndpoint(endpoint)}.\n\n${secretBlock(secret)}`);
    }
    case "list": {
      const endpoints = await listEndpoints(target, command.tenant);
      if (json) return print(JSON.stringify({ tenant: command.tenant, endpoints }));
      return print(endpoints.length === 0 ? `No webhook endpoints for tenant ${command.tenant}.` : endpointTable(endpoints));
    }
    case "remove": {
      const endpoint = await removeEndpoint(target, command.endpointId);
      if (json) return print(JSON.stringify({ removed: endpoint.id }));
      return print(`Removed ${describeEndpoint(endpoint)}; messages still queued for it are dropped.`);
    }
    case "disable":
    case "enable": {
      const endpoint = await setEnabled(target, command.endpointId, command.name === "enable");
      if (json) return print(JSON.stringify(endpoint));
      return print(`${command.name === "enable" ? "Enabled" : "Disabled"} ${describeEndpoint(endpoint)}.`);
    }
    case "rotate-secret": {
      const { endpoint, secret, previousExpireAt } = await rotateSecret(target, command.endpointId, command.graceMinutes);
      if (json) return print(JSON.stringify({ id: endpoint.id, secret, previousExpireAt }));
      const previous = previousExpireAt === null ? "The previous secret no longer signs." : `The previous secret also signs until ${formatTime(previousExpireAt)}.`;
      return print(`New signing secret for ${describeEndpoint(endpoint)}.\n${previous} ${PROPAGATION_NOTE}\n\n${secretBlock(secret)}`);
    }
    case "test": {
      const result = await testEndpoint(target, command.endpointId);
      if (json) print(JSON.stringify(result));
      else if (result.ok) print(`Ping ${result.webhookId} delivered: HTTP ${result.status} in ${result.latencyMs} ms.`);
      // A failed ping is a failed environment (exit 1), the one line saying why.
      if (!result.ok) throw wranglerError(`ping ${result.webhookId} not delivered: ${result.error ?? "no 2xx answer"} (after ${result.latencyMs} ms)`);
      return;
    }
    case "deliveries": {
      const { endpoint, deliveries } = await listDeliveries(target, command.endpointId);
      if (json) return print(JSON.stringify({ endpoint, deliveries }));
      return print(deliveries.length === 0 ? `No delivery attempts for ${endpoint.id} yet.` : deliveryTable(deliveries));
    }
  }
}

await runEntryPoint(async () => {
  const invocation = parseWebhooksArgs(process.argv.slice(2));
  if (invocation.help) return print(WEBHOOKS_USAGE);
  await run(invocation.command, invocation.target, invocation.json);
});
