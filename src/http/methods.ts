import type { Hono } from "hono";
import { methodNotAllowed } from "../scim/errors.ts";
import type { AppEnv } from "./context.ts";

/** Answers every method not registered on `path` with a SCIM 405 naming the allowed ones. */
export function allowOnly(app: Hono<AppEnv>, path: string, methods: string[]): void {
  app.all(path, (c) => {
    throw methodNotAllowed(c.req.method, methods);
  });
}
