// Validates a PatchOp message (RFC 7644 §3.5.2) and turns it into typed operations with resolved targets and
// normalised values. Everything that depends only on the request and the schema is checked here, so a bad
// request fails before any resource is read; what depends on the resource (immutable, id echo) is in apply.ts.
import { badRequest } from "../errors.ts";
import { PATCH_OP_SCHEMA } from "../schema/core.ts";
import { listsSchema, type ResourceSchemas } from "../schema/registry.ts";
import { checkValueCount, coerceRemoveList, coerceWriteValue } from "./coerce.ts";
import { describe, getProperty, isPlainObject, type JsonObject } from "./json.ts";
import { opError, type OpContext } from "./op-error.ts";
import { resolveTarget, schemaNamedBy } from "./resolve-target.ts";
import { MAX_PATCH_OPERATIONS, type PatchOperation, type PatchOpName, type PatchTarget } from "./types.ts";

const OP_NAMES: ReadonlySet<string> = new Set<PatchOpName>(["add", "replace", "remove"]);

export function parsePatchRequest(body: unknown, resource: ResourceSchemas): PatchOperation[] {
  if (!isPlainObject(body)) {
    throw badRequest("invalidSyntax", `A PATCH body must be a JSON object: a PatchOp message with "schemas" and "Operations"`);
  }
  const schemas = getProperty(body, "schemas");
  const patchOp = PATCH_OP_SCHEMA.toLowerCase();
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === patchOp)) {
    throw badRequest("invalidSyntax", `A PATCH body's "schemas" must be an array containing "${PATCH_OP_SCHEMA}"`);
  }
  const operations = getProperty(body, "Operations");
  if (!Array.isArray(operations)) {
    throw badRequest("invalidSyntax", `A PATCH body needs "Operations": an array of {"op", "path", "value"} objects`);
  }
  if (operations.length === 0) {
    throw badRequest("invalidSyntax", `"Operations" is empty; a PatchOp message carries at least one operation (RFC 7644 §3.5.2)`);
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw badRequest(
      "invalidValue",
      `"Operations" has ${operations.length} operations; at most ${MAX_PATCH_OPERATIONS} are accepted in one request. Split the change into several requests`,
    );
  }
  const out: PatchOperation[] = [];
  operations.forEach((raw, index) => new OperationParser(index, resource, out).parse(raw));
  return out;
}

class OperationParser {
  private readonly index: number;
  private readonly resource: ResourceSchemas;
  private readonly out: PatchOperation[];

  constructor(index: number, resource: ResourceSchemas, out: PatchOperation[]) {
    this.index = index;
    this.resource = resource;
    this.out = out;
  }

  parse(raw: unknown): void {
    const at = `Operations[${this.index}]`;
    if (!isPlainObject(raw)) throw badRequest("invalidSyntax", `${at} must be an object with "op", "path" and "value"`);
    const opRaw = getProperty(raw, "op");
    const op = typeof opRaw === "string" ? opRaw.toLowerCase() : undefined;
    if (op === undefined || !OP_NAMES.has(op)) {
      throw badRequest("invalidSyntax", `${at}.op must be "add", "replace" or "remove" (in any case); got ${describe(opRaw ?? null)}`);
    }
    const opName = op as PatchOpName;
    const pathRaw = getProperty(raw, "path");
    if (pathRaw !== undefined && pathRaw !== null && typeof pathRaw !== "string") {
      throw badRequest("invalidSyntax", `${at}.path must be a string; got ${describe(pathRaw)}`);
    }
    // An empty path is read as no path, the same as the key missing: neither names a target.
    const path = typeof pathRaw === "string" && pathRaw.trim() !== "" ? pathRaw.trim() : undefined;
    const ctx: OpContext = { index: this.index, op: opName, where: path === undefined ? "without path" : JSON.stringify(path) };
    const hasValue = Object.keys(raw).some((k) => k.toLowerCase() === "value");
    const value = getProperty(raw, "value");

    if (opName === "remove") {
      // RFC 7644 §3.5.2.2: 'If "path" is unspecified, the operation fails with HTTP status code 400 and a
      // "scimType" error code of "noTarget".'
      if (path === undefined) throw opError(ctx, "noTarget", `"remove" needs a "path" naming what to remove (RFC 7644 §3.5.2.2)`);
      this.parseRemove(path, value, ctx);
      return;
    }
    if (!hasValue) throw opError(ctx, "invalidValue", `"${opName}" needs a "value" (RFC 7644 §3.5.2.1, §3.5.2.3)`);
    if (path === undefined) {
      // RFC 7644 §3.5.2.1/§3.5.2.3: without a path the target is the resource itself and "value" is a set of attributes.
      if (!isPlainObject(value)) {
        throw opError(ctx, "invalidValue", `without a "path", "value" must be an object of attributes to ${opName}; got ${describe(value)}`);
      }
      this.expandAttributes(opName, value, ctx, "value key", true);
      return;
    }
    const schema = schemaNamedBy(path, this.resource);
    if (schema === undefined) {
      this.write(opName, resolveTarget(path, this.resource, ctx), value, false, ctx);
      return;
    }
    switch (schema.kind) {
      case "core":
        if (!isPlainObject(value)) throw opError(ctx, "invalidValue", `the path names the core schema, so "value" must be an object of its attributes`);
        this.expandAttributes(opName, value, ctx, "value key", true);
        return;
      case "extension":
      case "unknown":
        this.writeExtension(opName, schema.id, value, ctx, path, false);
        return;
      case "foreign":
        throw this.foreign(path, ctx);
    }
  }

  private parseRemove(path: string, value: unknown, ctx: OpContext): void {
    const schema = schemaNamedBy(path, this.resource);
    if (schema !== undefined) {
      if (schema.kind === "core") throw opError(ctx, "invalidPath", `the path names the core schema; a resource is deleted with DELETE, not PATCH`);
      if (schema.kind === "foreign") throw this.foreign(path, ctx);
      this.removeExtension(schema.id, path, ctx);
      return;
    }
    const target = resolveTarget(path, this.resource, ctx);
    this.checkWritable(target, ctx);
    this.checkRemovable(target, ctx);
    // Entra ID removes group members by listing them: {"op":"Remove","path":"members","value":[{"value":"id"}]}.
    // The list selects elements to remove; without it the whole attribute goes (RFC 7644 §3.5.2.2). On any other
    // target the path alone identifies what is removed, so a value adds nothing.
    const listsElements =
      value !== undefined && value !== null && target.valueFilter === undefined && target.subAttribute === undefined &&
      (target.attributeDef === undefined || target.attributeDef.multiValued);
    this.push({
      index: this.index,
      op: "remove",
      target,
      ...(listsElements ? { value: coerceRemoveList(target, value, ctx) } : {}),
      pathless: false,
    });
  }

  /**
   * A path-less add/replace: each key of `value` is an attribute name (case-insensitive), a dotted
   * `name.givenName` or filtered `emails[type eq "work"].value` path (Entra), a URN-qualified attribute
   * (`urn:...:enterprise:2.0:User:employeeNumber`, Entra) or a schema URN whose value holds that schema's attributes.
   */
  private expandAttributes(op: PatchOpName, value: JsonObject, ctx: OpContext, keyLabel: string, pathless: boolean): void {
    for (const [key, item] of Object.entries(value)) {
      const keyCtx: OpContext = { ...ctx, where: `${ctx.where}, ${keyLabel} ${JSON.stringify(key)}` };
      if (key.toLowerCase() === "schemas") {
        this.checkSchemasEcho(item, keyCtx);
        continue;
      }
      checkValueCount(item, keyCtx, `The value of ${JSON.stringify(key)}`);
      const schema = schemaNamedBy(key, this.resource);
      if (schema === undefined) {
        this.write(op, resolveTarget(key, this.resource, keyCtx), item, pathless, keyCtx);
        continue;
      }
      switch (schema.kind) {
        case "core":
          if (!isPlainObject(item)) throw opError(keyCtx, "invalidValue", `the core schema key must hold an object of attributes; got ${describe(item)}`);
          this.expandAttributes(op, item, keyCtx, "key", pathless);
          break;
        case "extension":
        case "unknown":
          this.writeExtension(op, schema.id, item, keyCtx, key, pathless);
          break;
        case "foreign":
          throw this.foreign(key, keyCtx);
      }
    }
  }

  /** add/replace of a whole extension: its object's keys are attributes of that extension. null removes it. */
  private writeExtension(op: PatchOpName, schema: string, value: unknown, ctx: OpContext, text: string, pathless: boolean): void {
    if (value === null) {
      this.removeExtension(schema, text, ctx);
      return;
    }
    if (!isPlainObject(value)) {
      throw opError(ctx, "invalidValue", `${schema} is a schema; its value must be an object of its attributes, got ${describe(value)}`);
    }
    for (const [key, item] of Object.entries(value)) {
      const keyCtx: OpContext = { ...ctx, where: `${ctx.where}, key ${JSON.stringify(key)}` };
      if (key.toLowerCase() === "schemas") {
        // Serializers that model an extension as its own object often give it a `schemas` member naming it.
        this.checkExtensionSchemasEcho(schema, item, keyCtx);
        continue;
      }
      checkValueCount(item, keyCtx, `The value of ${JSON.stringify(key)}`);
      // Name the attribute fully in error details: "employeeNumber" alone would not say which schema.
      const target = { ...resolveTarget(key, this.resource, keyCtx, schema), text: `${schema}:${key}` };
      this.write(op, target, item, pathless, keyCtx);
    }
  }

  private removeExtension(schema: string, text: string, ctx: OpContext): void {
    const known = this.resource.extensions.find((e) => e.id === schema);
    const required = known?.attributes.find((a) => a.required);
    if (required !== undefined) {
      throw opError(ctx, "mutability", `${schema} has the required attribute "${required.name}", so the extension cannot be removed (RFC 7644 §3.5.2.2)`);
    }
    this.push({ index: this.index, op: "remove", target: { text, schema, extension: true }, pathless: false });
  }

  private write(op: PatchOpName, target: PatchTarget, value: unknown, pathless: boolean, ctx: OpContext): void {
    if (this.isReadOnly(target)) {
      if (!pathless) throw this.readOnlyError(target, ctx);
      // A path-less value may echo a representation the client read (Okta sends `id`, some clients `meta`,
      // `groups`): readOnly attributes in it are ignored, except that an `id` must be this resource's own,
      // which apply.ts checks against the stored resource.
      if (!target.extension && target.attribute === "id" && target.subAttribute === undefined && target.valueFilter === undefined) {
        this.push({ index: this.index, op, target, value, pathless: true });
      }
      return;
    }
    const coerced = coerceWriteValue(target, op, value, ctx);
    if (coerced === null) {
      // RFC 7643 §2.5: null (and an empty multi-valued list) is the unassigned state, so setting it is a remove.
      this.checkRemovable(target, ctx);
      this.push({ index: this.index, op: "remove", target, pathless });
      return;
    }
    this.push({ index: this.index, op, target, value: coerced, pathless });
  }

  private isReadOnly(target: PatchTarget): boolean {
    return target.attributeDef?.mutability === "readOnly" || target.subAttributeDef?.mutability === "readOnly";
  }

  private readOnlyError(target: PatchTarget, ctx: OpContext) {
    const name = target.subAttribute === undefined ? target.attribute : `${target.attribute}.${target.subAttribute}`;
    // RFC 7644 §3.5.2: "a client MUST NOT modify an attribute that has mutability 'readOnly' or 'immutable'".
    return opError(ctx, "mutability", `"${name}" is readOnly: the server assigns it and clients cannot change it`);
  }

  private checkWritable(target: PatchTarget, ctx: OpContext): void {
    if (this.isReadOnly(target)) throw this.readOnlyError(target, ctx);
  }

  /**
   * RFC 7644 §3.5.2.2: "If an attribute is removed or becomes unassigned and is defined as a required attribute
   * or a read-only attribute, the server SHALL return an HTTP response status code and a JSON detail error
   * response as defined in Section 3.12, with a 'scimType' error code of 'mutability'."
   */
  private checkRemovable(target: PatchTarget, ctx: OpContext): void {
    const def = target.subAttributeDef ?? (target.valueFilter === undefined ? target.attributeDef : undefined);
    if (def?.required === true) {
      const name = target.subAttribute === undefined ? target.attribute : `${target.attribute}.${target.subAttribute}`;
      throw opError(ctx, "mutability", `"${name}" is required and cannot be removed or set to null (RFC 7644 §3.5.2.2)`);
    }
  }

  /**
   * `schemas` is maintained by the server (see apply.ts). A path-less value echoing a representation may carry
   * it: that is ignored when it still names the core schema. Anything else would be an attempt to set it.
   */
  private checkSchemasEcho(value: unknown, ctx: OpContext): void {
    if (!listsSchema(value, this.resource.core.id)) {
      throw opError(ctx, "mutability", `"schemas" cannot be set by PATCH: the server keeps it in step with the extension attributes present`);
    }
  }

  /** A `schemas` member inside an extension's object is accepted (and dropped) only when it names that extension. */
  private checkExtensionSchemasEcho(schema: string, value: unknown, ctx: OpContext): void {
    if (!listsSchema(value, schema)) {
      throw opError(ctx, "invalidValue", `"schemas" inside the object for ${schema} must be an array naming ${schema}; got ${describe(value)}`);
    }
  }

  private foreign(text: string, ctx: OpContext) {
    const schemas = [this.resource.core.id, ...this.resource.extensions.map((e) => e.id)];
    return opError(ctx, "invalidPath", `${text} is not a schema of ${this.resource.resourceType.name} resources, which have ${schemas.join(", ")}`);
  }

  private push(op: PatchOperation): void {
    this.out.push(op);
  }
}
