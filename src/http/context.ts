import type { Config } from "../config.ts";
import type { Env } from "../env.ts";
import type { KeyScope } from "../keys/token.ts";
import type { D1Meter } from "../storage/d1/meter.ts";
import type { Db } from "../storage/d1/db.ts";
import type { Tenant } from "../storage/repos/tenants.ts";

export interface AuthContext {
  tenant: Tenant;
  keyId: string;
  /** The key's default organization, else the tenant's. */
  organization: string | null;
  /** `app` keys may use /v1 (events, password checks) as well as SCIM; `scim` keys only SCIM. */
  scope: KeyScope;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The deployment's parsed configuration (src/config.ts). */
    config: Config;
    db: Db;
    /** Rows read/written by this request's queries (D1's billing units). */
    d1: D1Meter;
    auth: AuthContext;
  };
}
