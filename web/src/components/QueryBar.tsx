// The query bar: a one-line CodeMirror editor with highlighting, completion of keywords, fields,
// stages and values (looked up in the data, within the caller's scope), and the server's parse
// error underlined at its column as you type. Enter runs the query.

import { useEffect, useRef, useState } from 'react';
import { autocompletion, closeCompletion, completionKeymap, startCompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { EditorState, Prec, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, placeholder, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import { api, type TimeRange, type Vocabulary } from '../api';
import { classify, tokenizeQuery, type Lexicon } from '../query-tokens';

/** A parse error to show: the column (1-based) and the message. */
export interface QueryProblem {
  code: string;
  message: string;
  column?: number;
}

interface Props {
  value: string;
  onChange: (text: string) => void;
  onRun: (text: string) => void;
  vocabulary: Vocabulary | undefined;
  range: TimeRange;
  /** An error from running the query (shown like a parse error). */
  runError?: QueryProblem;
  busy?: boolean;
}

const setProblem = StateEffect.define<{ from: number; to: number } | null>();
/** Re-highlights when the vocabulary arrives from the server. */
const refreshHighlight = StateEffect.define<null>();

const problemField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setProblem)) {
        deco = e.value ? Decoration.set([Decoration.mark({ class: 'tok-error' }).range(e.value.from, e.value.to)]) : Decoration.none;
      }
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function lexiconOf(v: Vocabulary | undefined): Lexicon {
  return {
    keywords: new Set(v?.keywords.map((k) => k.word) ?? []),
    stages: new Set(v?.stages.map((s) => s.word) ?? []),
    fields: new Set([...(v?.fields.map((f) => f.name) ?? []), ...Object.keys(v?.aliases ?? {})]),
    operators: new Set(v?.operators ?? []),
  };
}

function highlighter(getLex: () => Lexicon) {
  const build = (view: EditorView): DecorationSet => {
    const text = view.state.doc.toString();
    const tokens = tokenizeQuery(text);
    const classes = classify(tokens, getLex());
    const b = new RangeSetBuilder<Decoration>();
    tokens.forEach((t, i) => {
      if (t.to > t.from) b.add(t.from, t.to, Decoration.mark({ class: classes[i]! }));
    });
    return b.finish();
  };
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = build(view);
      }
      update(u: ViewUpdate) {
        if (u.docChanged || u.viewportChanged || u.transactions.some((tr) => tr.effects.some((e) => e.is(refreshHighlight)))) this.decorations = build(u.view);
      }
    },
    { decorations: (p) => p.decorations },
  );
}

/** What the cursor is completing, from the tokens before it. */
function completionContext(before: string): { kind: string; field?: string } {
  const tokens = tokenizeQuery(before);
  const trailingSpace = /\s$/.test(before) || before === '';
  const done = trailingSpace ? tokens : tokens.slice(0, -1);
  const last = done[done.length - 1];
  const prev = done[done.length - 2];
  const lastPipe = done.map((t) => t.text).lastIndexOf('|');
  const lw = last?.text.toLowerCase() ?? '';
  const pw = prev?.text.toLowerCase() ?? '';
  if (last?.text === '|') return { kind: 'stage' };
  if (lastPipe >= 0) {
    const stage = done[lastPipe + 1]?.text.toLowerCase();
    if (lw === 'by' || lw === ',' || (stage === 'fields' && lastPipe + 1 === done.length - 1)) return { kind: stage === 'top' ? 'metric' : 'field' };
    if (stage === 'top' && done.length - lastPipe === 3) return { kind: 'field' };
    if (stage === 'sort' && lastPipe + 1 === done.length - 1) return { kind: 'output' };
    if (stage === 'timeline') return { kind: 'interval' };
    if (stage === 'sort') return { kind: 'order' };
    return { kind: 'after-stage' };
  }
  const side = pw === 'src' ? 'src' : pw === 'dst' ? 'dst' : undefined;
  switch (lw) {
    case 'ip':
    case 'host':
      return { kind: 'value', field: side ?? 'addr' };
    case 'port':
      return { kind: 'value', field: side === 'src' ? 'sport' : 'dport' };
    case 'as':
      return { kind: 'value', field: side === 'src' ? 'src_as' : 'dst_as' };
    case 'country':
    case 'geo':
      return { kind: 'value', field: side === 'dst' ? 'dst_country' : 'src_country' };
    case 'proto':
      return { kind: 'static', field: 'protocol' };
    case 'flags':
      return { kind: 'static', field: 'flags' };
    case 'flowdir':
      return { kind: 'static', field: 'direction' };
    case 'net':
      return { kind: 'none' };
    case 'tag':
      return { kind: 'none' };
  }
  if (last && last.kind === 'word' && !['and', 'or', 'not', 'src', 'dst', '(', 'in', 'out'].includes(lw)) return { kind: 'connective' };
  return { kind: 'filter' };
}

function completions(getVocabulary: () => Vocabulary | undefined, getRange: () => TimeRange) {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const v = getVocabulary();
    if (!v) return null;
    const word = ctx.matchBefore(/[\w.:/-]*/);
    if (!word) return null;
    if (word.from === word.to && !ctx.explicit && !/[\s|]$/.test(ctx.state.sliceDoc(0, ctx.pos))) return null;
    const before = ctx.state.sliceDoc(0, word.from);
    const what = completionContext(before);
    const fields = (): Completion[] => [
      ...v.fields.map((f) => ({ label: f.name, type: 'property', detail: f.kind, info: f.doc })),
      ...Object.entries(v.aliases).map(([a, f]) => ({ label: a, type: 'property', detail: `= ${f}`, boost: -1 })),
    ];
    let options: Completion[] = [];
    switch (what.kind) {
      case 'stage':
        options = v.stages.map((s) => ({ label: s.word, type: 'function', detail: s.syntax, info: s.doc }));
        break;
      case 'field':
        options = fields();
        break;
      case 'metric':
        options = v.metrics.map((m) => ({ label: m, type: 'constant' }));
        break;
      case 'output':
        options = [...v.metrics.map((m) => ({ label: m, type: 'constant' })), { label: 'time', type: 'constant' }, ...fields()];
        break;
      case 'interval':
        options = (v.values.interval ?? []).map((x) => ({ label: x, type: 'constant' }));
        break;
      case 'order':
        options = [{ label: 'desc', type: 'keyword' }, { label: 'asc', type: 'keyword' }];
        break;
      case 'after-stage':
        options = [{ label: '|', type: 'keyword', detail: 'next stage' }];
        break;
      case 'static':
        options = (v.values[what.field!] ?? []).map((x) => ({ label: x, type: 'constant' }));
        break;
      case 'value': {
        const lookups = what.field === 'addr' ? ['src', 'dst'] : [what.field!];
        try {
          const results = await Promise.all(lookups.map((f) => api.values(f, word.text, getRange())));
          const merged = new Map<string, number>();
          for (const r of results) for (const x of r.values) merged.set(x.value, (merged.get(x.value) ?? 0) + x.flows);
          options = [...merged.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([value, flows], i) => ({ label: value, type: 'variable', detail: `${flows.toLocaleString()} flows`, boost: -i / 100 }));
        } catch {
          options = [];
        }
        if (what.field === 'dport' || what.field === 'sport') {
          const seen = new Set(options.map((o) => o.label));
          options.push(...(v.values.number ?? []).filter((n) => !seen.has(n)).map((n) => ({ label: n, type: 'constant', boost: -2 })));
        }
        break;
      }
      case 'connective':
        options = ['and', 'or', '|'].map((w) => ({ label: w, type: 'keyword' }));
        break;
      case 'filter':
        options = [
          ...v.keywords.map((k) => ({ label: k.word, type: 'keyword', detail: k.takes, info: k.doc })),
          ...['src', 'dst', 'not'].map((w) => ({ label: w, type: 'keyword' })),
        ];
        break;
      default:
        return null;
    }
    if (options.length === 0) return null;
    return { from: word.from, options, validFor: /^[\w.:/-]*$/ };
  };
}

/** The query editor. */
export function QueryBar({ value, onChange, onRun, vocabulary, range, runError, busy }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, onRun, vocabulary, range, lexicon: lexiconOf(vocabulary) });
  latest.current = { onChange, onRun, vocabulary, range, lexicon: latest.current.vocabulary === vocabulary ? latest.current.lexicon : lexiconOf(vocabulary) };
  const [problem, setProblemState] = useState<QueryProblem | undefined>();

  useEffect(() => {
    const run = (v: EditorView) => {
      closeCompletion(v);
      latest.current.onRun(v.state.doc.toString());
      return true;
    };
    const state = EditorState.create({
      doc: value,
      extensions: [
        history(),
        // One line: newlines typed or pasted become spaces.
        EditorState.transactionFilter.of((tr) => {
          if (!tr.docChanged || tr.newDoc.lines === 1) return tr;
          const text = tr.newDoc.toString().replace(/\r?\n/g, ' ');
          return [tr, { changes: { from: 0, to: tr.newDoc.length, insert: text }, sequential: true }];
        }),
        autocompletion({ override: [completions(() => latest.current.vocabulary, () => latest.current.range)], activateOnTyping: true, maxRenderedOptions: 60 }),
        Prec.highest(keymap.of([...completionKeymap])),
        Prec.high(keymap.of([{ key: 'Enter', run }, { key: 'Mod-Enter', run }, { key: 'Ctrl-Space', run: startCompletion }])),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        highlighter(() => latest.current.lexicon),
        problemField,
        placeholder('filter | stage   e.g.  dst port 443 and proto tcp | top 10 src by bytes'),
        EditorView.contentAttributes.of({ 'aria-label': 'Query', 'data-testid': 'query-input', spellcheck: 'false', autocapitalize: 'off' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) latest.current.onChange(u.state.doc.toString());
        }),
        EditorView.theme({ '&': { fontSize: '14px' }, '.cm-content': { fontFamily: 'var(--mono)' } }),
      ],
    });
    const v = new EditorView({ state, parent: host.current! });
    view.current = v;
    return () => v.destroy();
    // The editor is created once; later value changes are pushed in below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: refreshHighlight.of(null) });
  }, [vocabulary]);

  // A value set from outside (navigation, an example) replaces the text.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  // Ask the server to parse as the user types (debounced): its errors carry the column. The
  // verdict on the previous text goes at once, so no stale caret stays under the new text.
  useEffect(() => {
    setProblemState(undefined);
    const ctl = new AbortController();
    const timer = setTimeout(async () => {
      if (!value.trim()) {
        setProblemState(undefined);
        return;
      }
      try {
        const verdict = await api.check(value, ctl.signal);
        setProblemState(verdict.ok ? undefined : verdict.error);
      } catch {
        /* the run will report it */
      }
    }, 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [value]);

  const shown = problem ?? runError;
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const len = v.state.doc.length;
    if (!shown?.column || len === 0) {
      v.dispatch({ effects: setProblem.of(null) });
      return;
    }
    const from = Math.min(shown.column - 1, Math.max(0, len - 1));
    const token = tokenizeQuery(v.state.doc.toString()).find((t) => t.from <= from && from < t.to);
    v.dispatch({ effects: setProblem.of({ from: token?.from ?? from, to: token?.to ?? Math.min(len, from + 1) }) });
  }, [shown?.column, shown?.message, value]);

  return (
    <div className="query-bar">
      <div className={`query-editor${shown ? ' has-error' : ''}`} ref={host} />
      <button className="primary" onClick={() => view.current && onRun(view.current.state.doc.toString())} disabled={busy} title="Run (Enter)">
        {busy ? 'Running…' : 'Run'}
      </button>
      {shown && (
        <div className="query-problem" role="alert" data-testid="query-error">
          <span className="code">{shown.code}</span>
          {shown.column ? <span className="column">column {shown.column}</span> : null}
          <span>{shown.message}</span>
        </div>
      )}
    </div>
  );
}

/** Focuses the query editor (the `/` shortcut). */
export function focusQueryBar(): void {
  document.querySelector<HTMLElement>('.query-editor .cm-content')?.focus();
}
