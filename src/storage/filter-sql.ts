// Compiles a resolved SCIM filter to one parameterised SQL condition. Indexed attributes map to columns
// (or to a child table such as user_emails); every other attribute is read from the resource JSON with
// json_extract / json_each, so any filter the resolver accepts is answered exactly, never ignored.
// Semantics follow src/scim/filter/evaluate.ts: `ne` is `not (eq)`, multi-valued paths match if any value
// matches, `pr` is present and non-empty. Leaves are plain comparisons, so indexes stay usable; they may be
// NULL (an absent value), which AND/OR treat like false, and every NOT wraps its operand in IFNULL(.., 0) so
// that NOT of an absent value is true.
import { sql, type SQL } from "drizzle-orm";
import type { CompareOp, FilterValue } from "../scim/filter/ast.ts";
import type { ResolvedFilter, ResolvedPath } from "../scim/filter/resolve.ts";
import { foldKey } from "../scim/fold.ts";

export interface ColumnMapping {
  expr: SQL;
  /** The column holds foldKey() of the value: compare against foldKey(value). */
  folded?: boolean;
  /** ISO-8601 timestamps in one format: compare as text, which keeps the index usable. */
  isoTime?: boolean;
}

/** A multi-valued attribute kept as rows of a child table (emails → user_emails). */
export interface ChildTable {
  /** Sub-attribute name → column of the child table. */
  columns: Record<string, ColumnMapping>;
  /** `parent IN (SELECT parent FROM child WHERE tenant AND <condition>)`. */
  anyRow(condition: SQL): SQL;
}

export interface FilterTarget {
  /** The resource JSON column. */
  data: SQL;
  /** Canonical path ("userName", "meta.created") → column. */
  columns: Record<string, ColumnMapping>;
  /** Attribute name → child table. */
  children: Record<string, ChildTable>;
}

type Leaf = { kind: "compare"; op: CompareOp; value: FilterValue } | { kind: "present" };


export function compileFilter(filter: ResolvedFilter, target: FilterTarget): SQL {
  switch (filter.kind) {
    case "and":
      return sql`(${compileFilter(filter.left, target)} AND ${compileFilter(filter.right, target)})`;
    case "or":
      return sql`(${compileFilter(filter.left, target)} OR ${compileFilter(filter.right, target)})`;
    case "not":
      return not(compileFilter(filter.filter, target));
    case "valuePath":
      return compileValuePath(filter.path, filter.filter, target);
    case "present":
      return compilePath(filter.path, { kind: "present" }, target);
    case "compare":
      return compilePath(filter.path, { kind: "compare", op: filter.op, value: filter.value }, target);
  }
}

function compilePath(path: ResolvedPath, leaf: Leaf, target: FilterTarget): SQL {
  // RFC 7644 §3.4.2.2 via the evaluator: eq null is "absent" (not pr), ne null is "present" (pr), also for
  // multi-valued paths, where "absent" means no value at all.
  if (leaf.kind === "compare" && leaf.value === null) {
    const present = compilePath(path, { kind: "present" }, target);
    return leaf.op === "eq" ? sql`(NOT ${present})` : present;
  }
  const column = target.columns[path.canonical];
  if (column) return compileLeaf(column, path, leaf);
  const child = !path.extension ? target.children[path.attribute] : undefined;
  const childColumn = child && path.subAttribute ? child.columns[path.subAttribute] : undefined;
  if (child && childColumn) {
    // ne is not(eq): "no row equals", not "some row differs".
    if (leaf.kind === "compare" && leaf.op === "ne") {
      return not(child.anyRow(compileLeaf(childColumn, path, { ...leaf, op: "eq" })));
    }
    return child.anyRow(compileLeaf(childColumn, path, leaf));
  }
  if (!path.multiValued) return compileLeaf({ expr: sql`json_extract(${target.data}, ${jsonPath(path)})` }, path, leaf);
  // Multi-valued in JSON: any element matching; ne is "no element equals".
  const elements = sql`json_each(${target.data}, ${jsonPath({ ...path, subAttribute: undefined })})`;
  const element = path.subAttribute ? sql`json_extract(je.value, ${keyPath([path.subAttribute])})` : sql`je.value`;
  if (leaf.kind === "compare" && leaf.op === "ne") {
    return sql`(NOT EXISTS (SELECT 1 FROM ${elements} AS je WHERE ${compileLeaf({ expr: element }, path, { ...leaf, op: "eq" })}))`;
  }
  return sql`EXISTS (SELECT 1 FROM ${elements} AS je WHERE ${compileLeaf({ expr: element }, path, leaf)})`;
}

/** `emails[type eq "work" and value co "@x"]`: one element must satisfy the whole bracket. */
function compileValuePath(path: ResolvedPath, inner: ResolvedFilter, target: FilterTarget): SQL {
  const child = !path.extension ? target.children[path.attribute] : undefined;
  if (child && usesOnly(inner, Object.keys(child.columns))) {
    // Inside the bracket, resolved paths are spelled "emails.value": key the child's columns that way.
    const columns = Object.fromEntries(Object.entries(child.columns).map(([sub, column]) => [`${path.attribute}.${sub}`, column]));
    return child.anyRow(compileFilter(inner, { data: sql`NULL`, columns, children: {} }));
  }
  if (!path.attributeDef.multiValued) {
    // A single-valued complex attribute is a one-element list.
    return compileFilter(inner, target);
  }
  const elements = sql`json_each(${target.data}, ${jsonPath({ ...path, subAttribute: undefined })})`;
  const elementTarget: FilterTarget = { data: sql`je.value`, columns: {}, children: {} };
  return sql`EXISTS (SELECT 1 FROM ${elements} AS je WHERE ${compileElementFilter(inner, elementTarget)})`;
}

/** Inside a bracket, paths name sub-attributes of one element held in `target.data`. */
function compileElementFilter(filter: ResolvedFilter, target: FilterTarget): SQL {
  switch (filter.kind) {
    case "and":
      return sql`(${compileElementFilter(filter.left, target)} AND ${compileElementFilter(filter.right, target)})`;
    case "or":
      return sql`(${compileElementFilter(filter.left, target)} OR ${compileElementFilter(filter.right, target)})`;
    case "not":
      return not(compileElementFilter(filter.filter, target));
    case "valuePath":
      return compileElementFilter(filter.filter, target);
    case "present":
    case "compare": {
      const expr = sql`json_extract(${target.data}, ${keyPath([filter.path.subAttribute ?? filter.path.attribute])})`;
      const leaf: Leaf = filter.kind === "present" ? { kind: "present" } : { kind: "compare", op: filter.op, value: filter.value };
      return compileLeaf({ expr }, { ...filter.path, multiValued: false }, leaf);
    }
  }
}

function usesOnly(filter: ResolvedFilter, subAttributes: string[]): boolean {
  switch (filter.kind) {
    case "and":
    case "or":
      return usesOnly(filter.left, subAttributes) && usesOnly(filter.right, subAttributes);
    case "not":
      return usesOnly(filter.filter, subAttributes);
    case "valuePath":
      return false;
    default:
      return filter.path.subAttribute !== undefined && subAttributes.includes(filter.path.subAttribute);
  }
}

function keyPath(keys: string[]): string {
  return "$" + keys.map((k) => `."${k.replace(/["\\]/g, "")}"`).join("");
}

function jsonPath(path: Pick<ResolvedPath, "schema" | "extension" | "attribute" | "subAttribute">): string {
  const keys = path.extension ? [path.schema, path.attribute] : [path.attribute];
  if (path.subAttribute) keys.push(path.subAttribute);
  return keyPath(keys);
}

function compileLeaf(column: ColumnMapping, path: ResolvedPath, leaf: Leaf): SQL {
  const x = column.expr;
  if (leaf.kind === "present") return sql`(${x} IS NOT NULL AND ${x} != '')`;
  const { op, value } = leaf;
  if (value === null) return op === "eq" ? sql`(${x} IS NULL)` : sql`(${x} IS NOT NULL)`;
  if (op === "ne") return not(compileLeaf(column, path, { kind: "compare", op: "eq", value }));

  if (typeof value === "boolean") return sql`(${x} = ${value ? 1 : 0})`;
  if (typeof value === "number") return comparison(x, op, sql`${value}`);

  const type = path.leaf.type;
  if (type === "dateTime" && !column.isoTime) return comparison(sql`julianday(${x})`, op, sql`julianday(${value})`);
  if (column.folded) return stringComparison(x, op, foldKey(value));
  if (!path.caseExact && type !== "dateTime") return stringComparison(sql`lower(${x})`, op, value.toLowerCase());
  return stringComparison(x, op, value);
}

/** NOT of a condition that may be NULL (absent): absent is false, so its negation is true. */
function not(condition: SQL): SQL {
  return sql`(NOT IFNULL(${condition}, 0))`;
}

function comparison(x: SQL, op: CompareOp, value: SQL): SQL {
  const symbol = { eq: "=", gt: ">", lt: "<", ge: ">=", le: "<=" }[op as "eq" | "gt" | "lt" | "ge" | "le"];
  if (!symbol) return sql`0`;
  return sql`(${x} ${sql.raw(symbol)} ${value})`;
}

function stringComparison(x: SQL, op: CompareOp, value: string): SQL {
  switch (op) {
    case "co":
      return sql`(instr(${x}, ${value}) > 0)`;
    case "sw":
      return value === "" ? sql`(${x} IS NOT NULL)` : sql`(substr(${x}, 1, ${value.length}) = ${value})`;
    case "ew":
      return value === "" ? sql`(${x} IS NOT NULL)` : sql`(substr(${x}, ${-value.length}) = ${value})`;
    default:
      return comparison(x, op, sql`${value}`);
  }
}

