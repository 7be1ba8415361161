// Splits query text into tokens for highlighting and completion, with the same rules as the
// server's lexer (words, operators, brackets, pipes, quoted strings, # comments).

/** A token with its character offsets and a highlighting class. */
export interface QueryToken {
  from: number;
  to: number;
  text: string;
  kind: 'word' | 'string' | 'op' | 'punct' | 'comment';
}

const PUNCT = new Set(['(', ')', '[', ']', ',', '|']);
const OP_START = new Set(['<', '>', '=', '!', '&']);
const WORD_STOP = /[\s()[\],|<>=!&"']/;

/** Tokenises query text; never throws (an unterminated string runs to the end). */
export function tokenizeQuery(source: string): QueryToken[] {
  const out: QueryToken[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      out.push({ from: i, to: source.length, text: source.slice(i), kind: 'comment' });
      break;
    }
    if (PUNCT.has(c)) {
      if (c === '|' && source[i + 1] === '|') {
        out.push({ from: i, to: i + 2, text: '||', kind: 'op' });
        i += 2;
      } else {
        out.push({ from: i, to: i + 1, text: c, kind: 'punct' });
        i++;
      }
      continue;
    }
    if (OP_START.has(c)) {
      const two = source.slice(i, i + 2);
      const len = ['>=', '<=', '==', '&&', '!='].includes(two) ? 2 : 1;
      out.push({ from: i, to: i + len, text: source.slice(i, i + len), kind: 'op' });
      i += len;
      continue;
    }
    if (c === '"' || c === "'") {
      const close = source.indexOf(c, i + 1);
      const end = close < 0 ? source.length : close + 1;
      out.push({ from: i, to: end, text: source.slice(i, end), kind: 'string' });
      i = end;
      continue;
    }
    let j = i;
    while (j < source.length && !WORD_STOP.test(source[j]!)) j++;
    out.push({ from: i, to: j, text: source.slice(i, j), kind: 'word' });
    i = j;
  }
  return out;
}

/** Words with a role, from the server's vocabulary. */
export interface Lexicon {
  keywords: Set<string>;
  stages: Set<string>;
  fields: Set<string>;
  operators: Set<string>;
}

const IPISH = /^(?:\d{1,3}(?:\.\d{1,3}){1,3}(?:\/\d{1,2})?|[0-9a-f]*:[0-9a-f:.]*(?:\/\d{1,3})?)$/i;
const NUMBER = /^\d+[kmgt]?$/i;
const DURATION = /^\d+(?:ms|s|m|h|d|w)$/;

/** The highlighting class of each token: what the analyst sees in colour. */
export function classify(tokens: readonly QueryToken[], lex: Lexicon): string[] {
  let inStage = false;
  let stageWord = '';
  return tokens.map((t, i) => {
    if (t.kind === 'comment') return 'tok-comment';
    if (t.kind === 'string') return 'tok-string';
    if (t.kind === 'punct') {
      if (t.text === '|') {
        inStage = true;
        stageWord = '';
        return 'tok-pipe';
      }
      return 'tok-punct';
    }
    if (t.kind === 'op') return 'tok-op';
    const lower = t.text.toLowerCase();
    if (inStage && !stageWord && tokens[i - 1]?.text === '|') {
      stageWord = lower;
      return lex.stages.has(lower) ? 'tok-stage' : 'tok-unknown';
    }
    if (['and', 'or', 'not', 'in', 'out', 'by', 'asc', 'desc', 'distinct'].includes(lower) || lex.operators.has(lower)) {
      return lower === 'src' || lower === 'dst' ? 'tok-dir' : 'tok-op';
    }
    if (inStage && (lex.fields.has(lower) || ['flows', 'packets', 'bytes', 'time'].includes(lower) || lower.startsWith('distinct_'))) return 'tok-field';
    if (!inStage && lex.keywords.has(lower)) return 'tok-keyword';
    if (IPISH.test(t.text)) return 'tok-ip';
    if (NUMBER.test(t.text) || DURATION.test(t.text)) return 'tok-number';
    return inStage ? 'tok-unknown' : 'tok-value';
  });
}
