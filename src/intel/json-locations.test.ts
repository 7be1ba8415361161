import { describe, expect, it } from 'vitest';
import { jsonTypeName, parseLocatedJson } from './json-locations.js';

describe('parseLocatedJson', () => {
  const text = [
    '{"list": [', // 1
    '  null,', // 2
    '  {"a": 1,', // 3
    '   "b": "x\\"y"},', // 4
    '  42, "s", true, false,', // 5
    '  [1, 2]', // 6
    ' ],', // 7
    ' "__proto__": {"polluted": true},', // 8
    ' "e": {}, "last": -1.5e3', // 9
    '}',
  ].join('\n');

  it('parses as JSON.parse does', () => {
    const doc = parseLocatedJson(text);
    expect(doc.value).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(doc.value)).toBe(Object.prototype); // __proto__ stays data
    expect((doc.value as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('gives the line of every element, member and container', () => {
    const doc = parseLocatedJson(text);
    const root = doc.value as Record<string, unknown>;
    const list = root.list as unknown[];
    expect(list.map((_, k) => doc.elementLine(list, k))).toEqual([2, 3, 5, 5, 5, 5, 6]);
    expect(doc.lineOf(list)).toBe(1);
    expect(doc.lineOf(list[1])).toBe(3);
    expect(doc.memberLine(list[1] as object, 'b')).toBe(4);
    expect(doc.memberLine(root, 'last')).toBe(9);
    expect(doc.memberLine(root, '__proto__')).toBe(8);
    // Missing parts fall back to their container's line.
    expect(doc.memberLine(list[1] as object, 'missing')).toBe(3);
    expect(doc.elementLine(list, 99)).toBe(1);
    expect(doc.lineOf('not a node')).toBe(0);
  });

  it("throws JSON.parse's own error for text that is not JSON", () => {
    expect(() => parseLocatedJson('{"a": [1,,]}')).toThrow(SyntaxError);
  });

  it('names JSON types for messages', () => {
    expect([null, [], {}, 1, 'x', true].map(jsonTypeName)).toEqual(['null', 'a list', 'an object', 'a number', 'a string', 'a boolean']);
  });
});
