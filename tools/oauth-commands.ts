// The OAuth operator commands as functions that return data; oauth.ts only parses and prints. The KV
// layout is the worker's (src/oauth/records.ts): clients under oauth:client:<id> with their metadata
// (everything but the secret hash), connect codes under oauth:connect:<tenant>:<hash of the code>.
import { hashSecret } from "../src/keys/token.ts";
import {
  CLIENT_PREFIX,
  clientMetadata,
  clientRecordSchema,
  kvName,
  ownerMetadataSchema,
  TOKEN_PREFIXES,
  type ClientMetadata,
  type ClientRecord,
} from "../src/oauth/records.ts";
import { CONNECT_CODE_SECONDS, newClientId, newClientSecret, newConnectCode, normalizeConnectCode } from "../src/oauth/tokens.ts";
import { usageError, wranglerError } from "./errors.ts";
import { ensureTenant, tenantExists, type TenantResult } from "./key-commands.ts";
import { kvDelete, kvGet, kvList, kvPut, type Target } from "./wrangler.ts";

// Cloudflare KV rejects metadata above 1024 bytes of JSON.
const KV_METADATA_LIMIT = 1024;
/** Codes stay in KV a day past their expiry, so the page can say "expired" rather than "wrong". */
const CONNECT_CODE_KV_SECONDS = CONNECT_CODE_SECONDS + 86_400;

export interface ClientView extends ClientMetadata {
  state: "active" | "revoked";
}

const view = (metadata: ClientMetadata): ClientView => ({ ...metadata, state: metadata.revokedAt === null ? "active" : "revoked" });

function metadataJson(record: ClientRecord): string {
  const metadata = JSON.stringify(clientMetadata(record));
  if (new TextEncoder().encode(metadata).length > KV_METADATA_LIMIT) {
    throw usageError(`client metadata exceeds KV's ${KV_METADATA_LIMIT}-byte limit: use fewer or shorter --redirect-uri values or a shorter --name`);
  }
  return metadata;
}

export interface CreatedClient {
  client: ClientView;
  /** Shown once: only its hash is stored. */
  clientSecret: string;
  tenant: TenantResult;
}

export async function createClient(
  target: Target,
  input: { tenant: string; clientName: string; redirectUris: string[]; requirePkce: boolean },
): Promise<CreatedClient> {
  const clientSecret = newClientSecret();
  const record: ClientRecord = {
    clientId: newClientId(),
    tenant: input.tenant,
    name: input.clientName,
    secretHash: await hashSecret(clientSecret),
    redirectUris: input.redirectUris,
    requirePkce: input.requirePkce,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  const metadata = metadataJson(record); // Oversized input fails here, before the tenant is created.
  const tenant = await ensureTenant(target, input.tenant, null);
  await kvPut(target, kvName.client(record.clientId), JSON.stringify(record), metadata);
  return { client: view(clientMetadata(record)), clientSecret, tenant };
}

/** KV has no secondary index: this lists the client entries and filters on metadata, never reading a hash. */
export async function listClients(target: Target, tenant: string): Promise<ClientView[]> {
  const [exists, entries] = await Promise.all([tenantExists(target, tenant), kvList(target, CLIENT_PREFIX)]);
  if (!exists) throw usageError(`unknown tenant ${tenant}`);
  const metadataSchema = clientRecordSchema.omit({ secretHash: true });
  const clients: ClientView[] = [];
  for (const entry of entries) {
    const parsed = metadataSchema.safeParse(entry.metadata);
    if (parsed.success && parsed.data.tenant === tenant) clients.push(view(parsed.data));
  }
  return clients.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.clientId.localeCompare(b.clientId));
}

export interface RevokedClient {
  client: ClientView;
  /** Grants and tokens of the client deleted from KV. */
  deletedEntries: number;
}

/**
 * Marks the client revoked (the token endpoint refuses it from then on), then deletes every grant and
 * token issued to it, found by their KV metadata, so its access tokens stop working too.
 */
export async function revokeClient(target: Target, clientId: string): Promise<RevokedClient> {
  const text = await kvGet(target, kvName.client(clientId));
  if (text === null) throw usageError(`unknown client id ${clientId}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = clientRecordSchema.safeParse(json);
  if (!parsed.success) throw wranglerError(`the stored record of client ${clientId} is not a valid client record`);
  const record: ClientRecord = parsed.data.revokedAt === null ? { ...parsed.data, revokedAt: new Date().toISOString() } : parsed.data;
  if (parsed.data.revokedAt === null) await kvPut(target, kvName.client(clientId), JSON.stringify(record), metadataJson(record));

  let deletedEntries = 0;
  for (const prefix of TOKEN_PREFIXES) {
    for (const entry of await kvList(target, prefix)) {
      const owner = ownerMetadataSchema.safeParse(entry.metadata);
      if (!owner.success || owner.data.clientId !== clientId) continue;
      await kvDelete(target, entry.name);
      deletedEntries++;
    }
  }
  return { client: view(clientMetadata(record)), deletedEntries };
}

export interface IssuedConnectCode {
  tenant: string;
  /** Shown once: only its hash is stored. */
  code: string;
  expiresAt: string;
}

export async function issueConnectCode(target: Target, tenant: string): Promise<IssuedConnectCode> {
  if (!(await tenantExists(target, tenant))) throw usageError(`unknown tenant ${tenant}: create an OAuth client for it first`);
  const code = newConnectCode();
  const expiresAt = new Date(Date.now() + CONNECT_CODE_SECONDS * 1000).toISOString();
  const name = kvName.connect(tenant, await hashSecret(normalizeConnectCode(code)));
  await kvPut(target, name, JSON.stringify({ tenant, expiresAt }), "{}", CONNECT_CODE_KV_SECONDS);
  return { tenant, code, expiresAt };
}
