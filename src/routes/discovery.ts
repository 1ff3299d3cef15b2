// Discovery endpoints (RFC 7644 §4). Read-only; list forms ignore paging (the sets are tiny).
import { Hono, type Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { scimJson } from "../http/respond.ts";
import { tenantBaseUrl } from "../http/urls.ts";
import { findResourceType, findSchema, RESOURCE_TYPES, resourceTypeJson, schemaJson } from "../scim/discovery.ts";
import { notFound, forbidden } from "../scim/errors.ts";
import { listResponse } from "../scim/list-query.ts";
import { ALL_SCHEMAS } from "../scim/schema/registry.ts";
import { serviceProviderConfig } from "../scim/service-provider-config.ts";

export const discovery = new Hono<AppEnv>();

const base = (c: Context<AppEnv>) => tenantBaseUrl(c.env.PUBLIC_BASE_URL, c.var.auth.tenant.slug);

/** RFC 7644 §4: a filter on a discovery endpoint SHOULD be answered 403, never with the unfiltered set. */
function rejectFilter(c: Context<AppEnv>): void {
  if (c.req.query("filter") !== undefined) {
    throw forbidden("Filtering is not supported on discovery endpoints.");
  }
}

discovery.get("/ServiceProviderConfig", (c) => scimJson(serviceProviderConfig(base(c))));
allowOnly(discovery, "/ServiceProviderConfig", ["GET"]);

discovery.get("/Schemas", (c) => {
  rejectFilter(c);
  const resources = ALL_SCHEMAS.map((s) => schemaJson(s, base(c)));
  return scimJson(listResponse(resources, resources.length, 1));
});
allowOnly(discovery, "/Schemas", ["GET"]);

discovery.get("/Schemas/:id", (c) => {
  const schema = findSchema(c.req.param("id"));
  if (!schema) throw notFound(`Schema "${c.req.param("id")}" not found.`);
  return scimJson(schemaJson(schema, base(c)));
});
allowOnly(discovery, "/Schemas/:id", ["GET"]);

discovery.get("/ResourceTypes", (c) => {
  rejectFilter(c);
  const resources = RESOURCE_TYPES.map((t) => resourceTypeJson(t, base(c)));
  return scimJson(listResponse(resources, resources.length, 1));
});
allowOnly(discovery, "/ResourceTypes", ["GET"]);

discovery.get("/ResourceTypes/:id", (c) => {
  const type = findResourceType(c.req.param("id"));
  if (!type) throw notFound(`ResourceType "${c.req.param("id")}" not found.`);
  return scimJson(resourceTypeJson(type, base(c)));
});
allowOnly(discovery, "/ResourceTypes/:id", ["GET"]);
