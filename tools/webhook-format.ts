// Human-readable output of the webhook commands. A signing secret appears only in `secretBlock`, which add and
// rotate-secret print exactly once.
import { formatTime } from "./format.ts";
import type { DeliveryView, EndpointView } from "./webhook-commands.ts";

export function secretBlock(secret: string): string {
  return [
    "Signing secret (shown once; verify webhook-signature with it, e.g. with the standardwebhooks package):",
    `  ${secret}`,
  ].join("\n");
}

export function endpointState(endpoint: EndpointView): string {
  const base = endpoint.enabled ? "enabled" : "disabled";
  return endpoint.failingSince === null ? base : `${base}, failing since ${formatTime(endpoint.failingSince)}`;
}

export function describeEndpoint(endpoint: EndpointView): string {
  const types = endpoint.types === null ? "every event type" : endpoint.types.join(",");
  return `endpoint ${endpoint.id} of tenant ${endpoint.tenant}: ${endpoint.url} (${types}; ${endpointState(endpoint)})`;
}

function table<T>(columns: ReadonlyArray<[string, (row: T) => string]>, rows: readonly T[]): string {
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

export function endpointTable(endpoints: readonly EndpointView[]): string {
  return table<EndpointView>(
    [
      ["ENDPOINT ID", (e) => e.id],
      ["STATE", (e) => endpointState(e)],
      ["TYPES", (e) => (e.types === null ? "*" : e.types.join(","))],
      ["CREATED", (e) => formatTime(e.createdAt)],
      ["URL", (e) => e.url],
    ],
    endpoints,
  );
}

export function deliveryTable(deliveries: readonly DeliveryView[]): string {
  return table<DeliveryView>(
    [
      ["TIME", (d) => formatTime(d.attemptedAt)],
      ["WEBHOOK-ID", (d) => d.webhookId],
      ["TYPE", (d) => d.eventType],
      ["ATTEMPT", (d) => String(d.attempt)],
      ["STATUS", (d) => (d.status === null ? "-" : String(d.status))],
      ["LATENCY", (d) => `${d.latencyMs} ms`],
      ["OUTCOME", (d) => (d.outcome === "retrying" && d.retryDelaySeconds !== null ? `retrying in ${d.retryDelaySeconds} s` : d.outcome)],
      ["ERROR", (d) => d.error ?? "-"],
    ],
    deliveries,
  );
}
