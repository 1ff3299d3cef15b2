// SCIM PATCH (RFC 7644 §3.5.2) as pure functions: parse a PatchOp message against a resource type's schemas,
// then apply it to a resource's JSON. Routes validate the patched resource afterwards.
export { applyPatch, MAX_PATCH_ELEMENT_VISITS } from "./apply.ts";
export { parsePatchRequest } from "./parse-request.ts";
export { MAX_PATCH_OPERATIONS, MAX_PATCH_VALUES } from "./types.ts";
export type { PatchOperation, PatchOpName, PatchTarget, ValueSelector } from "./types.ts";
