// Tokens of the filter and PATCH path grammars (RFC 7644 §3.4.2.2, §3.5.2). Lexing is lazy, so the error a
// client sees is about the first problem in its text, not a later one the lexer happened to reach first.
import { badRequest, type ScimError, type ScimType } from "../errors.ts";

export type Token =
  | { kind: "word"; text: string; start: number }
  | { kind: "string"; text: string; start: number; value: string }
  | { kind: "number"; text: string; start: number; value: number }
  | { kind: "(" | ")" | "[" | "]" | "."; text: string; start: number }
  | { kind: "end"; text: ""; start: number };

/** What the text is, for error details ("filter", "PATCH path"), and which scimType its errors carry. */
export interface SyntaxContext {
  scimType: ScimType;
  label: string;
}

const WHITESPACE = /[ \t\r\n]/;
const WORD_START = /[A-Za-z$]/;
// Attribute paths are one word: URN prefix (colons, dots, digits, hyphens), name, ".sub".
const WORD_CHAR = /[A-Za-z0-9_$:.-]/;
const NUMBER_CHAR = /[A-Za-z0-9_$:.+-]/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const SIMPLE_ESCAPES = new Map<string, string>([
  ['"', '"'],
  ["\\", "\\"],
  ["/", "/"],
  ["b", "\b"],
  ["f", "\f"],
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
]);
const MAX_SHOWN = 40;

/** Positions in details are 1-based: "position 1" is the first character. */
export const position = (start: number) => `position ${start + 1}`;

/** Quotes client text for an error detail, escaped and cut short so a detail never echoes a whole filter. */
export function quote(text: string, max = MAX_SHOWN): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

export function describeToken(token: Token, context: SyntaxContext): string {
  switch (token.kind) {
    case "end":
      return `the end of the ${context.label}`;
    case "string":
      return `string ${quote(token.text)}`;
    case "number":
      return `number ${token.text}`;
    default:
      return quote(token.text);
  }
}

export class Lexer {
  readonly text: string;
  readonly context: SyntaxContext;
  private offset = 0;
  private readonly buffered: Token[] = [];

  constructor(text: string, context: SyntaxContext) {
    this.text = text;
    this.context = context;
  }

  fail(detail: string): ScimError {
    return badRequest(this.context.scimType, detail);
  }

  /** The token `ahead` tokens from the current one, without consuming anything. */
  peek(ahead = 0): Token {
    while (this.buffered.length <= ahead) this.buffered.push(this.scan());
    return this.buffered[ahead]!;
  }

  next(): Token {
    const token = this.peek();
    this.buffered.shift();
    return token;
  }

  private scan(): Token {
    const { text } = this;
    while (this.offset < text.length && WHITESPACE.test(text[this.offset]!)) this.offset++;
    const start = this.offset;
    const char = text[start];
    if (char === undefined) return { kind: "end", text: "", start };
    if (char === "(" || char === ")" || char === "[" || char === "]" || char === ".") {
      this.offset++;
      return { kind: char, text: char, start };
    }
    if (char === '"') return this.scanString(start);
    if (char === "-" || (char >= "0" && char <= "9")) return this.scanNumber(start);
    if (WORD_START.test(char)) {
      const end = this.runEnd(start, WORD_CHAR);
      this.offset = end;
      return { kind: "word", text: text.slice(start, end), start };
    }
    const shown = String.fromCodePoint(text.codePointAt(start)!);
    throw this.fail(`Unexpected character ${quote(shown)} at ${position(start)} in ${this.context.label}`);
  }

  private runEnd(start: number, chars: RegExp): number {
    let end = start + 1;
    while (end < this.text.length && chars.test(this.text[end]!)) end++;
    return end;
  }

  private scanNumber(start: number): Token {
    const end = this.runEnd(start, NUMBER_CHAR);
    const text = this.text.slice(start, end);
    if (!JSON_NUMBER.test(text)) {
      throw this.fail(
        `Invalid number ${quote(text)} at ${position(start)} in ${this.context.label}: numbers are written as in JSON (e.g. 42, -1.5, 2e10)`,
      );
    }
    const value = Number(text);
    if (!Number.isFinite(value)) throw this.fail(`Number ${quote(text)} at ${position(start)} in ${this.context.label} is out of range`);
    this.offset = end;
    return { kind: "number", text, start, value };
  }

  private scanString(start: number): Token {
    const { text } = this;
    let value = "";
    let i = start + 1;
    for (;;) {
      const char = text[i];
      if (char === undefined) {
        throw this.fail(`Unterminated string starting at ${position(start)} in ${this.context.label}: missing closing '"'`);
      }
      if (char === '"') break;
      if (char !== "\\") {
        value += char;
        i++;
        continue;
      }
      const escape = text[i + 1];
      if (escape === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          throw this.fail(`Invalid escape ${quote(text.slice(i, i + 6))} at ${position(i)} in ${this.context.label}: \\u needs 4 hex digits`);
        }
        value += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
        continue;
      }
      const simple = escape === undefined ? undefined : SIMPLE_ESCAPES.get(escape);
      if (simple === undefined) {
        throw this.fail(
          `Invalid escape ${quote(text.slice(i, i + 2))} at ${position(i)} in ${this.context.label}: ` +
            `allowed escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`,
        );
      }
      value += simple;
      i += 2;
    }
    this.offset = i + 1;
    return { kind: "string", text: text.slice(start, i + 1), start, value };
  }
}
