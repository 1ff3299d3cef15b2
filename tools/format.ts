// Human-readable output of the key commands. The token appears only in `tokenBlock`, which create,
// rotate and dev print exactly once.
import type { BaseUrls } from "./config.ts";
import type { KeyView } from "./key-commands.ts";

/** ISO timestamps without milliseconds: precise enough to read, short enough for a table. */
export function formatTime(iso: string | null, absent = "-"): string {
  return iso === null ? absent : iso.replace(/\.\d{3}Z$/, "Z");
}

export function tokenBlock(token: string, urls: BaseUrls): string {
  return [
    "Token (shown once; only its hash is stored):",
    `  ${token}`,
    "",
    "Base URLs:",
    `  ${urls.shared}  (tenant taken from the token)`,
    `  ${urls.tenant}  (this tenant only)`,
  ].join("\n");
}

export function describeKey(key: KeyView): string {
  const label = key.label === "" ? "no label" : `label ${JSON.stringify(key.label)}`;
  const org = key.organization === null ? "" : `, organization ${JSON.stringify(key.organization)}`;
  return `${key.scope} key ${key.keyId} for tenant ${key.tenant} (${label}${org}, expires ${formatTime(key.expiresAt, "never")})`;
}

const COLUMNS: ReadonlyArray<[string, (key: KeyView) => string]> = [
  ["KEY ID", (k) => k.keyId],
  ["SCOPE", (k) => k.scope],
  ["LABEL", (k) => k.label || "-"],
  ["STATE", (k) => k.state],
  ["CREATED", (k) => formatTime(k.createdAt)],
  ["EXPIRES", (k) => formatTime(k.expiresAt)],
  ["REVOKED", (k) => formatTime(k.revokedAt)],
  ["ORGANIZATION", (k) => k.organization ?? "-"],
];

export function keyTable(keys: readonly KeyView[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...keys.map((key) => COLUMNS.map(([, cell]) => cell(key)))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}
