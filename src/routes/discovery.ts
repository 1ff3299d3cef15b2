// Discovery endpoints (RFC 7644 §4).
import { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { scimJson } from "../http/respond.ts";
import { serviceProviderConfig } from "../scim/service-provider-config.ts";
import { tenantBaseUrl } from "../http/urls.ts";

export const discovery = new Hono<AppEnv>();

discovery.get("/ServiceProviderConfig", (c) => {
  const base = tenantBaseUrl(c.env.PUBLIC_BASE_URL, c.var.auth.tenant.slug);
  return scimJson(serviceProviderConfig(base));
});
allowOnly(discovery, "/ServiceProviderConfig", ["GET"]);
