// JSON feeds parsed with the line of every object, array element and object member, so that a
// rejected entry points at its own line even when it is `null`, a number or has no value to
// search the text for.

/** A parsed JSON document and where each of its parts starts. */
export interface LocatedJson {
  readonly value: unknown;
  /** The 1-based line of a character offset. */
  lineAt(offset: number): number;
  /** The line where an object or array of the document starts (0 for anything else). */
  lineOf(node: unknown): number;
  /** The line of an array's element, else of the array itself. */
  elementLine(array: readonly unknown[], index: number): number;
  /** The line of an object member's value, else of the object itself. */
  memberLine(object: object, key: string): number;
}

/** What a JSON value is, for messages: "null", "a number", "a string", "a list", "an object". */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' ? 'a number' : typeof value === 'string' ? 'a string' : typeof value === 'boolean' ? 'a boolean' : typeof value;
}

/** True for a JSON object (not null, not a list). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses JSON text, keeping where each object, array, element and member starts. Throws
 * JSON.parse's own SyntaxError for text that is not JSON (its message names the position).
 */
export function parseLocatedJson(text: string): LocatedJson {
  // JSON.parse validates (and words the errors users know); the scan below may then assume valid JSON.
  JSON.parse(text);
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const starts = new WeakMap<object, number>();
  const elementStarts = new WeakMap<object, number[]>();
  const memberStarts = new WeakMap<object, Map<string, number>>();
  let at = 0;

  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 32 || c === 10 || c === 13 || c === 9) at++;
      else return;
    }
  };
  const readString = (): string => {
    const open = at;
    at++;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 92) {
        escaped = true;
        at += 2;
      } else if (c === 34) break;
      else at++;
    }
    at++;
    return escaped ? (JSON.parse(text.slice(open, at)) as string) : text.slice(open + 1, at - 1);
  };
  const readValue = (): unknown => {
    skipSpace();
    const start = at;
    const c = text.charCodeAt(at);
    if (c === 123) {
      const object: Record<string, unknown> = {};
      const members = new Map<string, number>();
      starts.set(object, start);
      memberStarts.set(object, members);
      at++;
      skipSpace();
      if (text.charCodeAt(at) === 125) {
        at++;
        return object;
      }
      for (;;) {
        skipSpace();
        const key = readString();
        skipSpace();
        at++; // the colon
        skipSpace();
        members.set(key, at);
        const value = readValue();
        // A member named __proto__ is data, as JSON.parse makes it, not the object's prototype.
        if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        else object[key] = value;
        skipSpace();
        if (text.charCodeAt(at++) === 125) return object;
      }
    }
    if (c === 91) {
      const array: unknown[] = [];
      const elements: number[] = [];
      starts.set(array, start);
      elementStarts.set(array, elements);
      at++;
      skipSpace();
      if (text.charCodeAt(at) === 93) {
        at++;
        return array;
      }
      for (;;) {
        skipSpace();
        elements.push(at);
        array.push(readValue());
        skipSpace();
        if (text.charCodeAt(at++) === 93) return array;
      }
    }
    if (c === 34) return readString();
    if (text.startsWith('true', at)) {
      at += 4;
      return true;
    }
    if (text.startsWith('false', at)) {
      at += 5;
      return false;
    }
    if (text.startsWith('null', at)) {
      at += 4;
      return null;
    }
    while (at < text.length && /[-+0-9.eE]/.test(text[at]!)) at++;
    return Number(text.slice(start, at));
  };

  const value = readValue();
  const lineOf = (node: unknown): number => (typeof node === 'object' && node !== null && starts.has(node) ? lineAt(starts.get(node)!) : 0);
  return {
    value,
    lineAt,
    lineOf,
    elementLine(array, index) {
      const offset = elementStarts.get(array)?.[index];
      return offset === undefined ? lineOf(array) : lineAt(offset);
    },
    memberLine(object, key) {
      const offset = memberStarts.get(object)?.get(key);
      return offset === undefined ? lineOf(object) : lineAt(offset);
    },
  };
}
