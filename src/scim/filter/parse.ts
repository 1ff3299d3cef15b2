// Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar and the §3.5.2 PATCH PATH grammar.
// Hand-written because no maintained npm parser covers value paths, URN-qualified names and precise errors.
import type { ScimType } from "../errors.ts";
import type { AttrPath, CompareOp, Filter, FilterValue, PatchPath } from "./ast.ts";
import { describeToken, Lexer, position, quote, type SyntaxContext, type Token } from "./lexer.ts";

/** Longest filter (or PATCH path) accepted, in UTF-16 code units. Bounds parse time and AST size per request. */
export const MAX_FILTER_LENGTH = 4096;
/**
 * Deepest nesting of "(", "not (" and "[" accepted. Bounds recursion in the parser and in every AST walker,
 * and the SQL the filter becomes: D1 allows an expression depth of 100 per statement, a "not (" costs two
 * levels of it and a "[" a subquery, so 32 levels of "not (" around one member filter already failed in D1.
 */
export const MAX_FILTER_DEPTH = 16;
/**
 * Most comparisons (`eq`, `co`, `pr`, ... each counts one, also inside "[...]") accepted in one filter or PATCH
 * path. A filter becomes ONE SQL statement, and D1 allows 100 bound parameters and an expression depth of
 * 100 per statement: the costliest comparison (`members.$ref sw "x"`) binds about 5 parameters and an
 * `and`/`or` chain adds a level per term, so without this bound a 4096-character filter of short terms fails in
 * storage (a 500) instead of here (a 400). 19 such comparisons were the most D1 answered (with sorting and
 * paging parameters); 16 leaves room. test/worker/hostile-limits.test.ts runs the costliest shapes at both limits.
 */
export const MAX_FILTER_COMPARISONS = 16;

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"]);
const ATTRNAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i;

const FILTER: SyntaxContext = { scimType: "invalidFilter", label: "filter" };
const PATCH_PATH: SyntaxContext = { scimType: "invalidPath", label: "PATCH path" };

const isCompareOp = (word: string): word is CompareOp => COMPARE_OPS.has(word);
const isOperatorWord = (token: Token) => token.kind === "word" && (token.text.toLowerCase() === "pr" || isCompareOp(token.text.toLowerCase()));
const isKeyword = (token: Token, keyword: string) => token.kind === "word" && token.text.toLowerCase() === keyword;

/** Parses a `filter=` query parameter or SearchRequest `filter`. Throws ScimError invalidFilter. */
export function parseFilter(text: string): Filter {
  const parser = new Parser(text, FILTER);
  const filter = parser.parseOr(false);
  parser.expectEnd();
  return filter;
}

/** Parses a PATCH operation `path`: attr, attr.sub, urn:...:attr[.sub], attr[filter], attr[filter].sub. Throws invalidPath. */
export function parsePatchPath(text: string): PatchPath {
  const parser = new Parser(text, PATCH_PATH);
  const path = parser.parsePatchPath();
  parser.expectEnd();
  return path;
}

/**
 * Parses one attribute name as used by `attributes=`, `excludedAttributes=` and `sortBy` (callers split lists on
 * commas): `[urn:...:]attr[.sub]`. Throws ScimError with `scimType` (invalidPath unless the caller says otherwise).
 */
export function parseAttrPath(text: string, scimType: ScimType = "invalidPath"): AttrPath {
  const parser = new Parser(text, { scimType, label: "attribute path" });
  const path = parser.parseBareAttrPath();
  parser.expectEnd();
  return path;
}

class Parser {
  private readonly lexer: Lexer;
  private readonly context: SyntaxContext;
  private depth = 0;
  private comparisons = 0;

  constructor(text: string, context: SyntaxContext) {
    this.context = context;
    this.lexer = new Lexer(text, context);
    if (text.length > MAX_FILTER_LENGTH) {
      throw this.lexer.fail(`The ${context.label} is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed`);
    }
    if (text.trim() === "") throw this.lexer.fail(`The ${context.label} is empty`);
  }

  private get label(): string {
    return this.context.label;
  }

  /** or-chain: `and` binds tighter than `or`; both associate to the left. */
  parseOr(inValueFilter: boolean): Filter {
    let left = this.parseAnd(inValueFilter);
    while (isKeyword(this.lexer.peek(), "or")) {
      this.lexer.next();
      left = { kind: "or", left, right: this.parseAnd(inValueFilter) };
    }
    return left;
  }

  private parseAnd(inValueFilter: boolean): Filter {
    let left = this.parseUnary(inValueFilter);
    while (isKeyword(this.lexer.peek(), "and")) {
      this.lexer.next();
      left = { kind: "and", left, right: this.parseUnary(inValueFilter) };
    }
    return left;
  }

  private parseUnary(inValueFilter: boolean): Filter {
    const token = this.lexer.peek();
    if (token.kind === "(") {
      this.lexer.next();
      return this.nested(token, ")", () => this.parseOr(inValueFilter));
    }
    if (token.kind !== "word") {
      throw this.lexer.fail(
        `Expected an attribute path, "not (" or "(" at ${position(token.start)} in ${this.label}, found ${describeToken(token, this.context)}`,
      );
    }
    const lower = token.text.toLowerCase();
    if (lower === "not" || lower === "and" || lower === "or") {
      const after = this.lexer.peek(1);
      if (lower === "not" && after.kind === "(") {
        this.lexer.next();
        this.lexer.next();
        return { kind: "not", filter: this.nested(after, ")", () => this.parseOr(inValueFilter)) };
      }
      // An attribute may be called "not"/"and"/"or"; it is one only if an operator or "[" follows.
      if (after.kind !== "[" && !isOperatorWord(after)) {
        throw this.lexer.fail(
          lower === "not"
            ? `"not" at ${position(token.start)} in ${this.label} must be followed by "(", as in: not (userName eq "x")`
            : `Unexpected ${quote(token.text)} at ${position(token.start)} in ${this.label}; expected an attribute path, "not (" or "("`,
        );
      }
    }
    return this.parseAttrExpression(inValueFilter);
  }

  private parseAttrExpression(inValueFilter: boolean): Filter {
    const pathToken = this.lexer.next();
    const path = this.toAttrPath(pathToken);
    const after = this.lexer.peek();
    if (after.kind === "[") {
      if (inValueFilter) {
        throw this.lexer.fail(`Nested value filter "[" at ${position(after.start)} in ${this.label}: a value filter cannot contain another one`);
      }
      this.checkValueFilterTarget(path, pathToken, after);
      this.lexer.next();
      const filter = this.nested(after, "]", () => this.parseOr(true));
      const next = this.lexer.peek();
      if (next.kind === ".") return { kind: "valuePath", path, filter: this.elementComparison(filter) };
      if (isOperatorWord(next)) {
        // Microsoft's SCIM docs have shown `emails[type eq "work"] eq "x"`; expect clients to copy it.
        throw this.lexer.fail(
          `Operator ${quote(next.text)} at ${position(next.start)} in ${this.label} cannot follow the value filter ${quote(`${pathToken.text}[...]`)}; ` +
            `move the comparison inside the brackets, as in: emails[type eq "work" and value eq "x"]`,
        );
      }
      return { kind: "valuePath", path, filter };
    }
    if (after.kind !== "word") {
      throw this.lexer.fail(
        `Expected an operator after ${quote(pathToken.text)} at ${position(after.start)} in ${this.label}, found ${describeToken(after, this.context)}`,
      );
    }
    const op = after.text.toLowerCase();
    if (op === "pr") {
      this.countComparison(pathToken);
      this.lexer.next();
      return { kind: "present", path };
    }
    if (!isCompareOp(op)) {
      throw this.lexer.fail(
        `Unknown operator ${quote(after.text)} at ${position(after.start)} in ${this.label}; expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr`,
      );
    }
    this.countComparison(pathToken);
    this.lexer.next();
    return { kind: "compare", path, op, value: this.parseValue(after) };
  }

  /**
   * `emails[type eq "work"].value eq "x"`: the matching filter Entra sends when emails[type eq "work"].value is
   * the matching attribute (its docs require endpoints to accept it). RFC 7644's filter grammar has no sub-attribute
   * after "]", so this reads it as what Entra means, one element satisfying both: the same tree as
   * `emails[type eq "work" and value eq "x"]`, which storage answers through the same index.
   */
  private elementComparison(bracket: Filter): Filter {
    this.lexer.next(); // "."
    const sub = this.lexer.next();
    if (sub.kind !== "word" || !ATTRNAME.test(sub.text)) {
      throw this.lexer.fail(`Expected a sub-attribute name after "]." at ${position(sub.start)} in ${this.label}, found ${describeToken(sub, this.context)}`);
    }
    const after = this.lexer.peek();
    if (after.kind !== "word" || !isOperatorWord(after)) {
      throw this.lexer.fail(
        `Expected an operator after ${quote(`[...].${sub.text}`)} at ${position(after.start)} in ${this.label}, found ${describeToken(after, this.context)}`,
      );
    }
    this.countComparison(sub);
    this.lexer.next();
    const op = after.text.toLowerCase();
    const path: AttrPath = { attribute: sub.text };
    const comparison: Filter = op === "pr" ? { kind: "present", path } : { kind: "compare", path, op: op as CompareOp, value: this.parseValue(after) };
    return { kind: "and", left: bracket, right: comparison };
  }

  private parseValue(opToken: Token): FilterValue {
    const token = this.lexer.next();
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind === "word") {
      const lower = token.text.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      if (lower === "null") return null;
    }
    const hint = token.kind === "word" ? "; strings must be in double quotes" : "";
    throw this.lexer.fail(
      `Expected a value (a "quoted string", number, true, false or null) after ${quote(opToken.text)} at ${position(token.start)} in ${this.label}, ` +
        `found ${describeToken(token, this.context)}${hint}`,
    );
  }

  parsePatchPath(): PatchPath {
    const pathToken = this.lexer.next();
    const path: PatchPath = { ...this.toAttrPath(pathToken) };
    const open = this.lexer.peek();
    if (open.kind !== "[") return path;
    this.checkValueFilterTarget(path, pathToken, open);
    this.lexer.next();
    path.valueFilter = this.nested(open, "]", () => this.parseOr(true));
    const dot = this.lexer.peek();
    if (dot.kind !== ".") return path;
    this.lexer.next();
    const sub = this.lexer.next();
    if (sub.kind !== "word" || !ATTRNAME.test(sub.text)) {
      throw this.lexer.fail(
        `Expected a sub-attribute name after "]." at ${position(sub.start)} in ${this.label}, found ${describeToken(sub, this.context)}`,
      );
    }
    path.subAttribute = sub.text;
    return path;
  }

  parseBareAttrPath(): AttrPath {
    return this.toAttrPath(this.lexer.next());
  }

  expectEnd(): void {
    const token = this.lexer.peek();
    if (token.kind === "end") return;
    const at = `${describeToken(token, this.context)} at ${position(token.start)} in ${this.label}`;
    if (token.kind === ")" || token.kind === "]") {
      throw this.lexer.fail(`Unexpected ${at}: there is no matching "${token.kind === ")" ? "(" : "["}"`);
    }
    const expected = this.label === "filter" ? `"and", "or" or the end of the filter` : `the end of the ${this.label}`;
    throw this.lexer.fail(`Unexpected ${at}; expected ${expected}`);
  }

  private countComparison(pathToken: Token): void {
    this.comparisons++;
    if (this.comparisons > MAX_FILTER_COMPARISONS) {
      throw this.lexer.fail(
        `The ${this.label} has more than ${MAX_FILTER_COMPARISONS} comparisons (number ${this.comparisons} starts at ${position(pathToken.start)}); ` +
          `at most ${MAX_FILTER_COMPARISONS} are allowed`,
      );
    }
  }

  /** Parses what sits between `open` and its `closer`, counting it against MAX_FILTER_DEPTH. */
  private nested(open: Token, closer: ")" | "]", parse: () => Filter): Filter {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      throw this.lexer.fail(
        `The ${this.label} nests too deeply at ${position(open.start)}: at most ${MAX_FILTER_DEPTH} levels of "(", "not (" and "[" are allowed`,
      );
    }
    const inner = parse();
    const close = this.lexer.peek();
    if (close.kind !== closer) {
      const opened = `"${open.text}" at ${position(open.start)}`;
      if (close.kind === "end") throw this.lexer.fail(`Missing "${closer}" to close ${opened} in ${this.label}`);
      throw this.lexer.fail(
        `Unexpected ${describeToken(close, this.context)} at ${position(close.start)} in ${this.label}; expected "and", "or" or "${closer}" to close ${opened}`,
      );
    }
    this.lexer.next();
    this.depth--;
    return inner;
  }

  private checkValueFilterTarget(path: AttrPath, pathToken: Token, open: Token): void {
    if (path.subAttribute !== undefined) {
      throw this.lexer.fail(
        `Value filter "[" at ${position(open.start)} in ${this.label} follows the sub-attribute path ${quote(pathToken.text)}; ` +
          `brackets go after a multi-valued attribute, as in: emails[type eq "work"]`,
      );
    }
  }

  /** `[URI ":"] ATTRNAME ["." ATTRNAME]`, where the URI is everything up to the last colon. */
  private toAttrPath(token: Token): AttrPath {
    if (token.kind !== "word") {
      throw this.lexer.fail(`Expected an attribute path at ${position(token.start)} in ${this.label}, found ${describeToken(token, this.context)}`);
    }
    const invalid = (reason: string) =>
      this.lexer.fail(`Invalid attribute path ${quote(token.text)} at ${position(token.start)} in ${this.label}: ${reason}`);
    const colon = token.text.lastIndexOf(":");
    const uri = colon < 0 ? undefined : token.text.slice(0, colon);
    if (uri !== undefined && !/^urn:./i.test(uri)) throw invalid(`the schema prefix ${quote(uri)} is not a URN (urn:...)`);
    const names = token.text.slice(colon + 1).split(".");
    if (names.length > 2) throw invalid("at most one sub-attribute may follow the attribute name");
    for (const name of names) {
      if (name === "") throw invalid(uri !== undefined && names.length === 1 ? "the attribute name after the schema URN is missing" : "an attribute name is empty");
      if (!ATTRNAME.test(name)) throw invalid(`${quote(name)} is not an attribute name (a letter, then letters, digits, "-" or "_")`);
    }
    const [attribute, subAttribute] = names as [string, string | undefined];
    return {
      ...(uri !== undefined ? { uri } : {}),
      attribute,
      ...(subAttribute !== undefined ? { subAttribute } : {}),
    };
  }
}
