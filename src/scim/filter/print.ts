// Filter ASTs back to RFC 7644 text: parseFilter(printFilter(f)) equals f, so printed filters can be logged,
// forwarded to another SCIM server, or quoted in error details without changing meaning.
import type { AttrPath, Filter, FilterValue } from "./ast.ts";

export function printAttrPath(path: AttrPath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.uri === undefined ? name : `${path.uri}:${name}`;
}

export function printValue(value: FilterValue): string {
  // JSON.stringify turns -0 into "0", which would parse back as a different number.
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return JSON.stringify(value);
}

/** Adds only the parentheses the grammar needs: `and` binds tighter than `or`, and both associate to the left. */
export function printFilter(filter: Filter): string {
  switch (filter.kind) {
    case "compare":
      return `${printAttrPath(filter.path)} ${filter.op} ${printValue(filter.value)}`;
    case "present":
      return `${printAttrPath(filter.path)} pr`;
    case "and":
      return `${group(filter.left, filter.left.kind === "or")} and ${group(filter.right, filter.right.kind === "or" || filter.right.kind === "and")}`;
    case "or":
      return `${printFilter(filter.left)} or ${group(filter.right, filter.right.kind === "or")}`;
    case "not":
      return `not (${printFilter(filter.filter)})`;
    case "valuePath":
      return `${printAttrPath(filter.path)}[${printFilter(filter.filter)}]`;
  }
}

function group(filter: Filter, parenthesise: boolean): string {
  return parenthesise ? `(${printFilter(filter)})` : printFilter(filter);
}
