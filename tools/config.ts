// The deployment's public base URL, read from wrangler.toml so the CLI prints the same URLs the worker
// builds its `meta.location` from. Only `PUBLIC_BASE_URL = "..."` in `[vars]` / `[env.<name>.vars]` is
// read: a full TOML parser is not worth a dependency for one string.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tenantBaseUrl } from "../src/http/urls.ts";
import { wranglerError } from "./errors.ts";
import { REPO_ROOT, type DeployEnv } from "./wrangler.ts";

const TABLE_HEADER = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;
const BASE_URL_LINE = /^PUBLIC_BASE_URL\s*=\s*"([^"\\]*)"\s*(?:#.*)?$/;

/** PUBLIC_BASE_URL of the given environment (null = top level) in wrangler.toml text, or null if absent. */
export function readPublicBaseUrl(tomlText: string, env: DeployEnv | null): string | null {
  const varsTable = env === null ? "vars" : `env.${env}.vars`;
  let table = "";
  for (const rawLine of tomlText.split(/\r?\n/)) {
    const line = rawLine.trim();
    const header = TABLE_HEADER.exec(line);
    if (header?.[1] !== undefined) {
      table = header[1].replace(/\s+/g, "");
      continue;
    }
    const value = table === varsTable ? BASE_URL_LINE.exec(line)?.[1] : undefined;
    if (value !== undefined) return value.replace(/\/+$/, "");
  }
  return null;
}

export function publicBaseUrl(env: DeployEnv | null): string {
  const path = join(REPO_ROOT, "wrangler.toml");
  const url = readPublicBaseUrl(readFileSync(path, "utf8"), env);
  if (url === null) {
    throw wranglerError(`PUBLIC_BASE_URL is not set in [${env === null ? "vars" : `env.${env}.vars`}] of ${path}`);
  }
  return url;
}

export interface BaseUrls {
  /** `/scim/v2`: the tenant comes from the credential. */
  shared: string;
  /** `/t/<tenant>/scim/v2`: the credential must belong to this tenant. */
  tenant: string;
}

export function baseUrls(publicUrl: string, tenant: string): BaseUrls {
  return { shared: `${publicUrl.replace(/\/+$/, "")}/scim/v2`, tenant: tenantBaseUrl(publicUrl, tenant) };
}

/**
 * The configured local base URL with the chosen port: with `--port 8790`, the printed URLs and the
 * worker's `meta.location` must both say 8790. A non-local configured URL (a tunnel, say) is kept.
 */
export function devPublicUrl(configured: string, port: number): string {
  const url = new URL(configured);
  if (url.hostname === "localhost" || url.hostname === "127.0.0.1") url.port = String(port);
  return url.toString().replace(/\/+$/, "");
}
