// Splits query text into tokens with their columns: words (keywords, addresses, numbers),
// operators, brackets, pipes and quoted strings.

import { VantageError } from '../../core/errors.js';

/** A token and the 1-based column where it starts. */
export interface Token {
  readonly kind: 'word' | 'string' | 'op' | 'punct' | 'end';
  readonly text: string;
  readonly column: number;
}

const PUNCT = new Set(['(', ')', '[', ']', ',', '|']);
const OP_START = new Set(['<', '>', '=', '!', '&']);
// A word runs until whitespace or a character that starts another token.
const WORD_STOP = /[\s()[\],|<>=!&"']/;

/** Tokenises a query; a stray character or unterminated string is a QUERY_SYNTAX error. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new VantageError('QUERY_SYNTAX', message, { column: at + 1, source });
  };
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') break; // nfdump: the rest of the line is a comment
    if (PUNCT.has(c)) {
      // `||` is the or operator, a single `|` starts a pipeline stage.
      if (c === '|' && source[i + 1] === '|') {
        tokens.push({ kind: 'op', text: '||', column: i + 1 });
        i += 2;
      } else {
        tokens.push({ kind: 'punct', text: c, column: i + 1 });
        i++;
      }
      continue;
    }
    if (OP_START.has(c)) {
      const two = source.slice(i, i + 2);
      if (two === '>=' || two === '<=' || two === '==' || two === '&&' || two === '!=') {
        tokens.push({ kind: 'op', text: two, column: i + 1 });
        i += 2;
      } else if (c === '&') {
        fail("'&' must be doubled: use 'and' or '&&'", i);
      } else {
        tokens.push({ kind: 'op', text: c, column: i + 1 });
        i++;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      const close = source.indexOf(c, i + 1);
      if (close < 0) fail('unterminated string', i);
      tokens.push({ kind: 'string', text: source.slice(i + 1, close), column: i + 1 });
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < source.length && !WORD_STOP.test(source[j]!)) j++;
    tokens.push({ kind: 'word', text: source.slice(i, j), column: i + 1 });
    i = j;
  }
  tokens.push({ kind: 'end', text: '', column: source.length + 1 });
  return tokens;
}
