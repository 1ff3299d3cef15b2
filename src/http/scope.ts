// The application API (/v1) is for `app` keys; the identity provider's `scim` key never reaches it.
import { createMiddleware } from "hono/factory";
import { forbidden } from "../scim/errors.ts";
import type { AppEnv } from "./context.ts";

export const requireAppScope = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.auth.scope !== "app") {
    throw forbidden(
      "This key is an identity provider key (scope scim): the application API under /v1 needs a key with scope app " +
        "(npm run keys -- create <tenant> --scope app).",
    );
  }
  await next();
});
