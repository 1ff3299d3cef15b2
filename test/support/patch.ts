// PATCH requests for the unit tests, built and run the way the routes run them: the PatchOp message (RFC 7644
// §3.5.2) parsed against the resource type's schemas, then applied.
import { expect } from "vitest";
import { ScimError } from "../../src/scim/errors.ts";
import { applyPatch, parsePatchRequest, type PatchOperation } from "../../src/scim/patch/index.ts";
import { PATCH_OP_SCHEMA } from "../../src/scim/schema/core.ts";
import { USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";

type Json = Record<string, unknown>;

/** A PatchOp request body carrying these operations. */
export const patchBody = (operations: unknown) => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });

/** The operations as the route parses them for a resource type (User unless named). */
export function parsePatch(operations: unknown[], resource: ResourceSchemas = USER_RESOURCE): PatchOperation[] {
  return parsePatchRequest(patchBody(operations), resource);
}

/** `resource` after the operations, parsed and applied as the route does. */
export function patch(resource: Json, operations: unknown[], schemas: ResourceSchemas = USER_RESOURCE): Json {
  return applyPatch(resource, parsePatch(operations, schemas), schemas);
}

/** Asserts `fn` throws a 400 ScimError with `scimType` whose detail contains every fragment. */
export function expectBadRequest(fn: () => unknown, scimType: string, ...fragments: string[]): ScimError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ScimError);
  const error = caught as ScimError;
  expect(error.status).toBe(400);
  expect(error.scimType).toBe(scimType);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}
