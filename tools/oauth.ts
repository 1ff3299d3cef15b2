// Entry point of `npm run oauth -- <command>`: OAuth clients and connect codes for a tenant.
// Exit status: 0 done, 2 bad input, 1 wrangler or environment failure (see errors.ts).
import { oauthEndpoints } from "../src/oauth/metadata.ts";
import { baseUrls, publicBaseUrl } from "./config.ts";
import { runEntryPoint } from "./errors.ts";
import { formatTime } from "./format.ts";
import { OAUTH_USAGE, parseOAuthArgs, type OAuthCommand } from "./oauth-args.ts";
import { createClient, issueConnectCode, listClients, revokeClient, type ClientView } from "./oauth-commands.ts";
import type { Target } from "./wrangler.ts";

const PROPAGATION_NOTE =
  "Running workers may accept its access tokens for about a minute more: they cache tokens (KEY_CACHE_SECONDS) and KV takes up to 60 s to reach every location.";

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function clientTable(clients: readonly ClientView[]): string {
  const columns: ReadonlyArray<[string, (c: ClientView) => string]> = [
    ["CLIENT ID", (c) => c.clientId],
    ["NAME", (c) => c.name],
    ["STATE", (c) => c.state],
    ["PKCE", (c) => (c.requirePkce ? "required" : "optional")],
    ["CREATED", (c) => formatTime(c.createdAt)],
    ["REVOKED", (c) => formatTime(c.revokedAt)],
    ["REDIRECT URIS", (c) => c.redirectUris.join(" ")],
  ];
  const rows = [columns.map(([title]) => title), ...clients.map((client) => columns.map(([, cell]) => cell(client)))];
  const widths = columns.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

async function run(command: OAuthCommand, target: Target, json: boolean): Promise<void> {
  switch (command.name) {
    case "client create": {
      // Read the config before writing anything, so a broken wrangler.toml cannot leave an unseen client.
      const publicUrl = publicBaseUrl(target.env);
      const endpoints = oauthEndpoints(publicUrl);
      const urls = baseUrls(publicUrl, command.tenant);
      const { client, clientSecret, tenant } = await createClient(target, command);
      if (json) {
        return print(
          JSON.stringify({
            clientId: client.clientId,
            clientSecret,
            tenant: client.tenant,
            name: client.name,
            redirectUris: client.redirectUris,
            requirePkce: client.requirePkce,
            authorizationEndpoint: endpoints.authorize,
            tokenEndpoint: endpoints.token,
            baseUrl: urls.tenant,
          }),
        );
      }
      if (tenant.created) print(`Created tenant ${client.tenant} (region ${target.env ?? "local"}).`);
      if (tenant.status !== "active") print(`Warning: tenant ${client.tenant} is ${tenant.status}; its tokens are refused until it is active.`);
      return print(
        [
          `Registered OAuth client ${JSON.stringify(client.name)} for tenant ${client.tenant} (PKCE ${client.requirePkce ? "required" : "optional"}).`,
          "",
          "Client credentials (the secret is shown once; only its hash is stored):",
          `  client_id:      ${client.clientId}`,
          `  client_secret:  ${clientSecret}`,
          "",
          "Enter in the identity provider:",
          `  Authorization endpoint:  ${endpoints.authorize}`,
          `  Token endpoint:          ${endpoints.token}`,
          `  SCIM base URL:           ${urls.tenant}`,
          `  Redirect URI(s):         ${client.redirectUris.join(", ")}`,
          "",
          `Then give the admin a connect code: npm run oauth -- connect-code ${client.tenant}${target.env === null ? "" : ` --env ${target.env}`}`,
        ].join("\n"),
      );
    }
    case "client list": {
      const clients = await listClients(target, command.tenant);
      if (json) return print(JSON.stringify({ tenant: command.tenant, clients }));
      return print(clients.length === 0 ? `No OAuth clients for tenant ${command.tenant}.` : clientTable(clients));
    }
    case "client revoke": {
      const { client, deletedEntries } = await revokeClient(target, command.clientId);
      if (json) return print(JSON.stringify({ ...client, deletedEntries }));
      return print(
        `OAuth client ${client.clientId} of tenant ${client.tenant} is revoked since ${formatTime(client.revokedAt)}; ` +
          `${deletedEntries} grant and token entries deleted.\n${PROPAGATION_NOTE}`,
      );
    }
    case "connect-code": {
      const issued = await issueConnectCode(target, command.tenant);
      if (json) return print(JSON.stringify(issued));
      return print(
        `Connect code for tenant ${issued.tenant} (one use, valid until ${formatTime(issued.expiresAt)}):\n\n  ${issued.code}\n\n` +
          "Give it to the tenant's IT admin; they enter it on the authorization page after clicking Authenticate.",
      );
    }
  }
}

await runEntryPoint(async () => {
  const invocation = parseOAuthArgs(process.argv.slice(2));
  if (invocation.help) return print(OAUTH_USAGE);
  await run(invocation.command, invocation.target, invocation.json);
});
