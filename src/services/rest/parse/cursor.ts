import { parseError, type RestError } from "../errors.js";
import type { Field, JsonStep } from "./ast.js";

const IDENTIFIER_CHAR = /[\p{L}\p{N}_ $]/u;

/**
 * A position in one query-string value, with PostgREST's error wording: the message names the
 * value and the 1-based column (`"failed to parse filter (x)" (line 1, column 3)`), the details
 * say what was found and what was expected.
 */
export class Cursor {
  pos = 0;

  constructor(
    readonly text: string,
    /** e.g. `filter (eq.1)`: completes "failed to parse ...". */
    readonly label: string,
  ) {}

  get rest(): string {
    return this.text.slice(this.pos);
  }

  eof(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? "";
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  /** Consumes `token` if it is next. */
  take(token: string): boolean {
    if (!this.startsWith(token)) return false;
    this.pos += token.length;
    return true;
  }

  expect(token: string): void {
    if (!this.take(token)) throw this.fail(`"${token}"`);
  }

  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos += 1;
  }

  /** A failure at the current position: `unexpected "x" expecting <expecting>`. */
  fail(expecting: string, at = this.pos): RestError {
    const found = at >= this.text.length ? "end of input" : `"${this.text[at]}"`;
    return this.error(`unexpected ${found} expecting ${expecting}`, at);
  }

  error(details: string, at = this.pos): RestError {
    return parseError(`"failed to parse ${this.label}" (line 1, column ${at + 1})`, details);
  }

  isIdentifierChar(offset = 0): boolean {
    const char = this.peek(offset);
    return char !== "" && IDENTIFIER_CHAR.test(char);
  }

  /** `[letters digits _ space $]+`, trimmed. */
  identifier(): string {
    const start = this.pos;
    while (this.isIdentifierChar()) this.pos += 1;
    if (this.pos === start) throw this.fail("letter or digit");
    return this.text.slice(start, this.pos).trim();
  }

  /** A double-quoted value; `\` escapes the next character. */
  quoted(): string {
    this.expect('"');
    let value = "";
    for (;;) {
      const char = this.peek();
      if (char === "") throw this.fail('"\\""');
      if (char === "\u0000") throw this.fail("a character other than NUL");
      this.pos += 1;
      if (char === '"') return value;
      if (char === "\\") {
        const escaped = this.peek();
        if (escaped === "" || escaped === "\u0000") throw this.fail("any character but NUL");
        value += escaped;
        this.pos += 1;
      } else value += char;
    }
  }

  /** A field name: quoted, or identifiers joined by `-` (a `-` before `>` is a JSON arrow). */
  fieldName(): string {
    this.skipSpaces();
    if (this.peek() === '"') return this.quoted();
    if (!this.isIdentifierChar()) throw this.fail("field name (* or [a..z0..9_$])");
    const parts = [this.identifier()];
    while (this.peek() === "-" && this.peek(1) !== ">" && this.isIdentifierChar(1)) {
      this.pos += 1;
      parts.push(this.identifier());
    }
    return parts.join("-");
  }

  /** `->key`, `->>key`, `->0`, `->-1`, repeated. */
  jsonPath(): JsonStep[] {
    const steps: JsonStep[] = [];
    for (;;) {
      let arrow: JsonStep["arrow"];
      if (this.take("->>")) arrow = "->>";
      else if (this.take("->")) arrow = "->";
      else return steps;
      const index = /^-?\d+/.exec(this.rest);
      const after = index ? this.text.slice(this.pos + index[0].length) : "";
      if (index && (after === "" || /^(->|::|\.|,|\))/.test(after))) {
        this.pos += index[0].length;
        steps.push({ arrow, key: Number(index[0]) });
      } else if (this.peek() === "-" && !this.isIdentifierChar(1)) {
        throw this.fail("digit", this.pos + 1);
      } else {
        steps.push({ arrow, key: this.fieldName() });
      }
    }
  }

  field(): Field {
    const name = this.fieldName();
    const json = this.jsonPath();
    this.skipSpaces();
    return { name, json };
  }
}
