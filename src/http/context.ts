import type { Env } from "../env.ts";
import type { Db } from "../storage/db.ts";
import type { Tenant } from "../storage/tenants.ts";

export interface AuthContext {
  tenant: Tenant;
  keyId: string;
  /** The key's default organization, else the tenant's. */
  organization: string | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Db;
    auth: AuthContext;
  };
}
