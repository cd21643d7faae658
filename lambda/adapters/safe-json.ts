/**
 * Tocsin's JSON reader for request bodies: `JSON.parse`'s grammar (RFC 8259), with the limits of
 * what Tocsin can store faithfully in DynamoDB checked while reading, so that input DynamoDB
 * would refuse is a 400 naming the field, never a 500 after a retrying caller's alarm was lost.
 *
 * - Nesting deeper than {@link JSON_MAX_DEPTH} levels is refused (DynamoDB stores 32 levels, and a
 *   body's `details` sit a level or two below the item's top).
 * - Integers beyond ±(2^53 − 1) (nanosecond timestamps, 64-bit ids) are kept exactly, as `bigint`:
 *   schemas that expect a number refuse them by name, and stored `details` keep them as strings
 *   of their digits (`storable` in `lambda/core/validation.ts`).
 * - Other numbers must be finite, at most ±(2^53 − 1) and, unless zero, at least 1e-130 in
 *   magnitude (DynamoDB's smallest): `1e400`, `1e-200` and `1.5e300` are refused, not rounded.
 * - Keys must not be empty, nor `__proto__`, nor `prototype` inside `constructor`: an object
 *   shaped to reach a prototype is refused wherever it is.
 * - Strings must not hold unpaired UTF-16 surrogates (`"\ud800"`), which have no UTF-8 form.
 * - A key repeated in one object is refused (`JSON.parse` keeps the last one silently).
 *
 * The reader is iterative over tokens but recursive over containers, bounded by the depth limit,
 * so no input can exhaust the stack.
 */

/** How deep a request body may nest objects and arrays. */
export const JSON_MAX_DEPTH = 16;

/** DynamoDB's smallest positive number (its range is 1E-130 to 9.9999999999999999999999999999999999999E+125). */
export const DYNAMODB_MIN_MAGNITUDE = 1e-130;

export type SafeJsonResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** `syntax`: not JSON at all; `limit`: JSON that Tocsin refuses to store. */
      readonly kind: 'syntax' | 'limit';
      /** The field at fault (`details.a[2].b`), empty for the whole body. */
      readonly field: string;
      readonly problem: string;
    };

export interface SafeJsonOptions {
  /** @default JSON_MAX_DEPTH */
  readonly maxDepth?: number;
}

class Refusal extends Error {
  public constructor(
    public readonly kind: 'syntax' | 'limit',
    public readonly field: string,
    public readonly problem: string,
  ) {
    super(problem);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?(?:[eE][+-]?\d+)?/y;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Reads `text` as JSON within Tocsin's limits.
 *
 * @example
 * parseJsonSafely('{"details":{"ns":1601535853000000000}}'); // { ok: true, value: { details: { ns: 1601535853000000000n } } }
 * parseJsonSafely('{"x":1e400}'); // { ok: false, kind: 'limit', field: 'x', problem: 'number 1e400 …' }
 */
export function parseJsonSafely(text: string, options: SafeJsonOptions = {}): SafeJsonResult {
  const reader = new Reader(text, options.maxDepth ?? JSON_MAX_DEPTH);
  try {
    const value = reader.document();
    return { ok: true, value };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, kind: error.kind, field: error.field, problem: error.problem };
    throw error;
  }
}

class Reader {
  private at = 0;

  public constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  public document(): unknown {
    this.space();
    const value = this.value([], 0, undefined);
    this.space();
    if (this.at < this.text.length) this.syntax(`unexpected ${this.shown()} after the end of the JSON value`);
    return value;
  }

  private value(path: readonly (string | number)[], depth: number, parentKey: string | undefined): unknown {
    const c = this.text[this.at];
    switch (c) {
      case '{':
        return this.object(path, depth + 1, parentKey);
      case '[':
        return this.array(path, depth + 1);
      case '"':
        return this.string(path);
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(path);
        return this.syntax(c === undefined ? 'unexpected end of the body' : `unexpected ${this.shown()}`);
    }
  }

  private object(path: readonly (string | number)[], depth: number, parentKey: string | undefined): Record<string, unknown> {
    this.checkDepth(path, depth);
    this.at += 1;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.syntax(`expected a string key, got ${this.shown()}`);
      const key = this.string(path);
      const here = [...path, key];
      if (key === '') this.limit(path, 'has an empty key; keys must have at least one character');
      if (key === '__proto__') this.limit(here, 'the key "__proto__" is not accepted');
      if (key === 'prototype' && parentKey === 'constructor') this.limit(here, 'the key "constructor.prototype" is not accepted');
      if (Object.prototype.hasOwnProperty.call(out, key)) this.limit(here, 'appears twice in one object');
      this.space();
      if (this.text[this.at] !== ':') this.syntax(`expected ":" after a key, got ${this.shown()}`);
      this.at += 1;
      this.space();
      out[key] = this.value(here, depth, key);
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === '}') return out;
      if (c !== ',') {
        this.at -= 1;
        this.syntax(`expected "," or "}" in an object, got ${this.shown()}`);
      }
    }
  }

  private array(path: readonly (string | number)[], depth: number): unknown[] {
    this.checkDepth(path, depth);
    this.at += 1;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return out;
    }
    for (;;) {
      this.space();
      out.push(this.value([...path, out.length], depth, undefined));
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === ']') return out;
      if (c !== ',') {
        this.at -= 1;
        this.syntax(`expected "," or "]" in an array, got ${this.shown()}`);
      }
    }
  }

  private string(path: readonly (string | number)[]): string {
    const start = this.at;
    this.at += 1;
    let out = '';
    let run = this.at;
    for (;;) {
      const code = this.text.charCodeAt(this.at);
      if (Number.isNaN(code)) {
        this.at = start;
        this.syntax('unterminated string');
      }
      if (code === 0x22) {
        out += this.text.slice(run, this.at);
        this.at += 1;
        break;
      }
      if (code < 0x20) this.syntax(`unescaped control character U+${code.toString(16).toUpperCase().padStart(4, '0')} in a string`);
      if (code === 0x5c) {
        out += this.text.slice(run, this.at);
        const e = this.text[this.at + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.at + 2, this.at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.syntax(`invalid \\u escape "\\u${hex}"`);
          out += String.fromCharCode(parseInt(hex, 16));
          this.at += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e];
          this.at += 2;
        } else {
          this.syntax(`invalid escape "\\${e ?? ''}"`);
        }
        run = this.at;
        continue;
      }
      this.at += 1;
    }
    if (LONE_SURROGATE.test(out)) this.limit(path, 'holds an unpaired UTF-16 surrogate (a \\ud800–\\udfff escape without its pair), which has no UTF-8 form');
    return out;
  }

  private number(path: readonly (string | number)[]): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.syntax(`invalid number at ${this.shown()}`);
    const token = match[0];
    this.at += token.length;
    const integer = match[1] === undefined && !/[eE]/.test(token);
    const value = Number(token);
    if (integer && !Number.isSafeInteger(value)) return BigInt(token);
    const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      this.limit(path, `number ${shown} is out of range: Tocsin stores numbers up to ±9007199254740991 (integers beyond that are kept exactly; send other large values as strings)`);
    }
    const mantissa = token.split(/[eE]/)[0]!;
    if ((value === 0 && /[1-9]/.test(mantissa)) || (value !== 0 && Math.abs(value) < DYNAMODB_MIN_MAGNITUDE)) {
      this.limit(path, `number ${shown} is too small to store: a number other than 0 must be at least 1e-130 in magnitude`);
    }
    return value;
  }

  private literal<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.at)) {
      this.at += word.length;
      return value;
    }
    return this.syntax(`unexpected ${this.shown()}`);
  }

  private checkDepth(path: readonly (string | number)[], depth: number): void {
    if (depth > this.maxDepth) this.limit(path, `nests deeper than ${this.maxDepth} levels of objects and arrays`);
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at += 1;
    }
  }

  private shown(): string {
    if (this.at >= this.text.length) return 'the end of the body';
    return `${JSON.stringify(this.text.slice(this.at, this.at + 12))} at position ${this.at}`;
  }

  private syntax(problem: string): never {
    throw new Refusal('syntax', '', problem);
  }

  private limit(path: readonly (string | number)[], problem: string): never {
    throw new Refusal('limit', formatPath(path), problem);
  }
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`;
  }
  return out;
}
