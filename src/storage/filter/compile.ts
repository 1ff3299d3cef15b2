// Compiles a resolved SCIM filter to one parameterised SQL condition. Indexed attributes map to columns
// (or to a child table such as user_emails); every other attribute is read from the resource JSON with
// json_extract / json_each, so any filter the resolver accepts is answered exactly, never ignored.
// Semantics follow src/scim/filter/evaluate.ts: `ne` is `not (eq)`, multi-valued paths match if any value
// matches, `pr` is present and non-empty. Leaves are plain comparisons, so indexes stay usable; they may be
// NULL (an absent value), which AND/OR treat like false, and every NOT wraps its operand in IFNULL(.., 0) so
// that NOT of an absent value is true.
import { sql, type SQL } from "drizzle-orm";
import type { CompareOp, FilterValue } from "../../scim/filter/ast.ts";
import type { ResolvedFilter, ResolvedPath } from "../../scim/filter/resolve.ts";
import { foldKey, isAscii } from "../../scim/fold.ts";

export interface ColumnMapping {
  expr: SQL;
  /** The column holds foldKey() of the value: compare against foldKey(value). */
  folded?: boolean;
  /** ISO-8601 timestamps in one format: compare as text, which keeps the index usable. */
  isoTime?: boolean;
  /** An index leads with (tenant_id, this column): comparisons on the plain column can narrow by it. */
  indexed?: boolean;
  /** The expression reads the folded document where the row has one (see FilterTarget.foldedPending). */
  foldedPending?: SQL;
  /**
   * The column holds foldKey() of the value on rows written since migration 0005, and the value as sent on
   * older rows until the backfill reaches them (user_emails.type). Compared with foldKey(value), and, where
   * that cannot differ on a folded row, also as before with lower(): see compileLeaf.
   */
  foldedSince0005?: boolean;
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
  /**
   * Set when `data` is the folded document (src/scim/folded-document.ts: every case-insensitive string is
   * foldKey() of itself) where the row has one and the stored resource where it does not: the condition that
   * the row has none yet (written before migration 0005 or by raw SQL, until the scheduled backfill reaches
   * it). Case-insensitive comparisons then compare foldKey(value) with the folded document, and fall back to
   * ASCII lower() on the stored resource for such rows, as every row was compared before.
   */
  foldedPending?: SQL;
  /** Canonical path ("userName", "meta.created") → column. */
  columns: Record<string, ColumnMapping>;
  /** Attribute name → child table. */
  children: Record<string, ChildTable>;
  /**
   * The rows matching any branch, as `key IN (<union of one SELECT per branch>)`: an `or` answered by index
   * lookups. SQLite, without table statistics, answers `tenant AND (a OR b)` by walking the whole tenant_id
   * range rather than two indexes (measured: 100,001 rows for `id eq .. or externalId eq ..` in a
   * 50,000-user tenant, 7 as a union). Used when every branch can use an index; absent (inside brackets),
   * `or` stays a plain OR.
   */
  anyOf?: (branches: SQL[]) => SQL | null;
}

type Leaf = { kind: "compare"; op: CompareOp; value: FilterValue } | { kind: "present" };


export function compileFilter(filter: ResolvedFilter, target: FilterTarget): SQL {
  switch (filter.kind) {
    case "and":
      return sql`(${compileFilter(filter.left, target)} AND ${compileFilter(filter.right, target)})`;
    case "or": {
      const branches = disjuncts(filter);
      const compiled = branches.map((branch) => compileFilter(branch, target));
      // A union only pays when every branch is an index lookup; otherwise the OR scans either way.
      const union = target.anyOf && unionable(branches, target) ? target.anyOf(compiled) : null;
      return union ?? sql`(${sql.join(compiled, sql` OR `)})`;
    }
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

/**
 * D1 allows 5 terms in one compound SELECT (measured), so a union of up to 25 branches is built as a union
 * of up to 5 FROM-subqueries of up to 5 terms each (FROM-subqueries add no expression depth). The parser's
 * MAX_FILTER_COMPARISONS (20) keeps every filter within that.
 */
const COMPOUND_TERMS = 5;

/** `SELECT key ...` per branch, as one SELECT with at most COMPOUND_TERMS^2 branches, or null if more. */
export function unionOf(selects: SQL[]): SQL | null {
  if (selects.length > COMPOUND_TERMS * COMPOUND_TERMS) return null;
  if (selects.length <= COMPOUND_TERMS) return sql.join(selects, sql` UNION ALL `);
  const groups: SQL[] = [];
  for (let i = 0; i < selects.length; i += COMPOUND_TERMS) {
    groups.push(sql`SELECT * FROM (${sql.join(selects.slice(i, i + COMPOUND_TERMS), sql` UNION ALL `)})`);
  }
  return sql.join(groups, sql` UNION ALL `);
}

/** Whether `or` branches compile to a union of index lookups (see FilterTarget.anyOf). */
function unionable(branches: ResolvedFilter[], target: FilterTarget): boolean {
  return branches.length <= COMPOUND_TERMS * COMPOUND_TERMS && branches.every((branch) => usesIndex(branch, target));
}

/** The branches of a chain of `or`s, flattened into one union. */
function disjuncts(filter: ResolvedFilter): ResolvedFilter[] {
  return filter.kind === "or" ? [...disjuncts(filter.left), ...disjuncts(filter.right)] : [filter];
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
  const pending = target.foldedPending ? { foldedPending: target.foldedPending } : {};
  if (!path.multiValued) return compileLeaf({ expr: sql`json_extract(${target.data}, ${jsonPath(path)})`, ...pending }, path, leaf);
  // Multi-valued in JSON: any element matching; ne is "no element equals".
  const elements = sql`json_each(${target.data}, ${jsonPath({ ...path, subAttribute: undefined })})`;
  const element = path.subAttribute ? sql`json_extract(je.value, ${keyPath([path.subAttribute])})` : sql`je.value`;
  if (leaf.kind === "compare" && leaf.op === "ne") {
    return sql`(NOT EXISTS (SELECT 1 FROM ${elements} AS je WHERE ${compileLeaf({ expr: element, ...pending }, path, { ...leaf, op: "eq" })}))`;
  }
  return sql`EXISTS (SELECT 1 FROM ${elements} AS je WHERE ${compileLeaf({ expr: element, ...pending }, path, leaf)})`;
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
    // A single-valued complex attribute is a one-element list when present and an empty one when not, so
    // `manager[not (value pr)]` matches no user without a manager.
    const element = sql`json_type(${target.data}, ${jsonPath({ ...path, subAttribute: undefined })})`;
    return sql`(${element} = 'object' AND ${compileFilter(inner, target)})`;
  }
  const elements = sql`json_each(${target.data}, ${jsonPath({ ...path, subAttribute: undefined })})`;
  const elementTarget: FilterTarget = { data: sql`je.value`, columns: {}, children: {}, ...(target.foldedPending ? { foldedPending: target.foldedPending } : {}) };
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
      const pending = target.foldedPending ? { foldedPending: target.foldedPending } : {};
      return compileLeaf({ expr, ...pending }, { ...filter.path, multiValued: false }, leaf);
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

  switch (stringForm(column, path)) {
    case "julianday":
      return comparison(sql`julianday(${x})`, op, sql`julianday(${value})`);
    case "lower":
      return stringComparison(sql`lower(${x})`, op, value.toLowerCase(), false);
    case "foldedSince0005": {
      const folded = stringComparison(x, op, foldKey(value), true);
      // The lower() comparison keeps older rows matching as they did. On a folded row it is true only when the
      // folded one is: for eq because foldKey(v.toLowerCase()) is foldKey(v) and folded text is its own fold
      // and has no ASCII capitals; for ASCII values because their fold is their lower case. For other values
      // (co "ς" on a folded "οδος") it could match where the fold does not, so it is left out.
      if (op !== "eq" && !isAscii(value)) return folded;
      return sql`(${folded} OR ${stringComparison(sql`lower(${x})`, op, value.toLowerCase(), false)})`;
    }
    case "foldedDocument": {
      // Rows without a folded document compare as all rows did before it: lower() folds ASCII only.
      const pending = column.foldedPending ?? sql`0`;
      const folded = stringComparison(x, op, foldKey(value), false);
      const ascii = stringComparison(sql`lower(${x})`, op, value.toLowerCase(), false);
      return sql`(CASE WHEN ${pending} THEN ${ascii} ELSE ${folded} END)`;
    }
    case "folded":
      return stringComparison(x, op, foldKey(value), true);
    case "plain":
      return stringComparison(x, op, value, true);
  }
}

/** How a string comparison reads the column; only "folded" and "plain" compare the column itself (sargable). */
function stringForm(column: ColumnMapping, path: ResolvedPath): "julianday" | "lower" | "folded" | "foldedSince0005" | "foldedDocument" | "plain" {
  const type = path.leaf.type;
  if (type === "dateTime" && !column.isoTime) return "julianday";
  if (column.folded) return "folded";
  if (column.foldedSince0005 && !path.caseExact && type === "string") return "foldedSince0005";
  // Exactly the strings folded-document.ts folds.
  if (column.foldedPending && type === "string" && !path.caseExact) return "foldedDocument";
  if (!path.caseExact && type !== "dateTime") return "lower";
  return "plain";
}

/**
 * Whether the filter narrows the rows through an index, so that what it reads is bounded by the index range
 * it selects rather than by the tenant: a sargable comparison (eq, gt, ge, lt, le, sw) on an indexed column
 * or child-table column; `and` when either side is, `or` when both are. `not`, `ne`, `co`, `ew`, `pr` and
 * attributes kept only in the JSON scan.
 */
export function usesIndex(filter: ResolvedFilter, target: FilterTarget): boolean {
  switch (filter.kind) {
    case "and":
      return usesIndex(filter.left, target) || usesIndex(filter.right, target);
    case "or":
      // Only a union of index lookups (anyOf) answers `or` from indexes; a plain OR scans.
      return target.anyOf !== undefined && unionable(disjuncts(filter), target);
    case "not":
    case "present":
      return false;
    case "valuePath": {
      const child = !filter.path.extension ? target.children[filter.path.attribute] : undefined;
      if (!child || !usesOnly(filter.filter, Object.keys(child.columns))) return false;
      const columns = Object.fromEntries(Object.entries(child.columns).map(([sub, column]) => [`${filter.path.attribute}.${sub}`, column]));
      return usesIndex(filter.filter, { data: sql`NULL`, columns, children: {} });
    }
    case "compare": {
      if (filter.value === null || filter.op === "ne" || filter.op === "co" || filter.op === "ew") return false;
      const path = filter.path;
      const child = !path.extension && path.subAttribute ? target.children[path.attribute] : undefined;
      const column = target.columns[path.canonical] ?? (child && path.subAttribute ? child.columns[path.subAttribute] : undefined);
      if (!column?.indexed) return false;
      if (typeof filter.value !== "string") return true;
      const form = stringForm(column, path);
      return form === "folded" || form === "plain";
    }
  }
}

/**
 * The part of a filter its indexes answer: a filter every row matching `filter` also matches, built only from
 * index lookups (null when there is none), and whether it is exactly `filter`. When it is not exact, answering
 * the filter reads every row the narrowed filter selects and tests the rest on each, so what a request reads
 * is bounded by how many rows the narrowed filter selects, not by the matches: `active eq true and title co
 * "x"` reads every active user.
 */
export function narrowingFilter(filter: ResolvedFilter, target: FilterTarget): { narrowed: ResolvedFilter | null; exact: boolean } {
  switch (filter.kind) {
    case "and": {
      const left = narrowingFilter(filter.left, target);
      const right = narrowingFilter(filter.right, target);
      const exact = left.exact && right.exact;
      if (left.narrowed && right.narrowed) return { narrowed: { ...filter, left: left.narrowed, right: right.narrowed }, exact };
      return { narrowed: left.narrowed ?? right.narrowed, exact };
    }
    case "or": {
      if (!usesIndex(filter, target)) return { narrowed: null, exact: false };
      const branches = disjuncts(filter).map((branch) => narrowingFilter(branch, target));
      const narrowed = branches.map((b) => b.narrowed).filter((b): b is ResolvedFilter => b !== null);
      if (narrowed.length !== branches.length) return { narrowed: null, exact: false };
      const joined = narrowed.reduce((left, right) => ({ kind: "or", left, right }) as ResolvedFilter);
      return { narrowed: joined, exact: branches.every((b) => b.exact) };
    }
    default:
      return usesIndex(filter, target) ? { narrowed: filter, exact: true } : { narrowed: null, exact: false };
  }
}

/**
 * The compiled filter, whether an index narrows it, and (when the index narrows it only in part) the SQL
 * condition of the narrowed filter, whose matches bound what answering it reads (list-plan.ts caps them).
 */
export function compileListFilter(filter: ResolvedFilter, target: FilterTarget): { where: SQL; indexed: boolean; candidates?: SQL[] } {
  const { narrowed, exact } = narrowingFilter(filter, target);
  const where = compileFilter(filter, target);
  if (narrowed === null) return { where, indexed: false };
  // An `or` is counted branch by branch: each count stops at the cap, where one count of the union would
  // first read every branch's rows.
  return exact ? { where, indexed: true } : { where, indexed: true, candidates: disjuncts(narrowed).map((branch) => compileFilter(branch, target)) };
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

/** `sargable`: x is the column itself, so `sw` can be an index range instead of a substr() on every row. */
function stringComparison(x: SQL, op: CompareOp, value: string, sargable: boolean): SQL {
  // substr() counts characters (code points), JavaScript's length UTF-16 units.
  const length = [...value].length;
  switch (op) {
    case "co":
      return sql`(instr(${x}, ${value}) > 0)`;
    case "sw": {
      if (value === "") return sql`(${x} IS NOT NULL)`;
      if (!sargable) return sql`(substr(${x}, 1, ${length}) = ${value})`;
      // Strings starting with `value` are exactly those in [value, successor): text compares by code point.
      const successor = prefixSuccessor(value);
      return successor === null ? sql`(${x} >= ${value})` : sql`(${x} >= ${value} AND ${x} < ${successor})`;
    }
    case "ew":
      return value === "" ? sql`(${x} IS NOT NULL)` : sql`(substr(${x}, ${-length}) = ${value})`;
    default:
      return comparison(x, op, sql`${value}`);
  }
}

/** The least string greater than every string that starts with `prefix`, or null if there is none. */
function prefixSuccessor(prefix: string): string | null {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i]!;
    if (point >= 0x10ffff) continue;
    // Surrogate code points never occur in stored (UTF-8) text.
    const next = point + 1 === 0xd800 ? 0xe000 : point + 1;
    return String.fromCodePoint(...points.slice(0, i), next);
  }
  return null;
}

