// Test helpers: issue real keys into the real KV binding and call the worker as a client would.
import { env, exports } from "cloudflare:workers";
import { newKeyRecord, type KeyRecord } from "../../src/keys/token.ts";
import { openDb } from "../../src/storage/db.ts";
import { writeKey } from "../../src/storage/key-store.ts";
import { ensureTenant } from "../../src/storage/tenants.ts";

export const BASE = "http://localhost:8787";

export interface IssuedKey {
  token: string;
  record: KeyRecord;
}

export async function issueKey(
  tenant: string,
  options: { label?: string; organization?: string | null; expiresInDays?: number | null; tenantOrganization?: string | null } = {},
): Promise<IssuedKey> {
  await ensureTenant(openDb(env.DB), { slug: tenant, region: "local", defaultOrganization: options.tenantOrganization ?? null });
  const issued = await newKeyRecord({
    tenant,
    label: options.label ?? "test",
    organization: options.organization ?? null,
    expiresInDays: options.expiresInDays ?? null,
  });
  await writeKey(env.KV, issued.record);
  return issued;
}

export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/scim+json");
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export async function expectScimError(response: Response, status: number, scimType?: string): Promise<Record<string, unknown>> {
  const { expect } = await import("vitest");
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/scim+json; charset=utf-8");
  const body = await json(response);
  expect(body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
  expect(body.status).toBe(String(status));
  if (scimType !== undefined) expect(body.scimType).toBe(scimType);
  expect(typeof body.detail).toBe("string");
  return body;
}
