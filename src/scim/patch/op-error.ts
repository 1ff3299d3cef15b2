// Every PATCH failure names the operation (its index in `Operations`, its op and path) so an admin reading an
// Okta/Entra provisioning log can tell which of many operations was refused and why.
import { badRequest, ScimError, type ScimType } from "../errors.ts";

export interface OpContext {
  index: number;
  op: string;
  /** The path as written, or a description such as `value key "name.givenName"`. */
  where: string;
}

export function describeOp(ctx: OpContext): string {
  return `Operations[${ctx.index}] (${ctx.op} ${ctx.where})`;
}

export function opError(ctx: OpContext, scimType: ScimType, detail: string): ScimError {
  return badRequest(scimType, `${describeOp(ctx)}: ${detail}`);
}

/** Runs `fn`, prefixing any ScimError it throws (e.g. from the path parser) with the operation's description. */
export function withOpContext<T>(ctx: OpContext, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ScimError && error.status === 400) {
      throw badRequest(error.scimType ?? "invalidPath", `${describeOp(ctx)}: ${error.message}`);
    }
    throw error;
  }
}
