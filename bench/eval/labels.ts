// Ground truth from the labels the datasets carry: Stratosphere's `label` column in Zeek
// conn.logs (Malicious / Benign / Background) and CIC-IDS2017's `Label` column (BENIGN or the
// attack). A finding is a true positive when it names malicious-labeled traffic.

import { readFileSync } from 'node:fs';

/** Who took part in malicious-labeled traffic. */
export interface LabelTruth {
  /** "src dst" of malicious flows. */
  readonly pairs: Set<string>;
  readonly sources: Set<string>;
  readonly destinations: Set<string>;
}

function add(truth: LabelTruth, src: string, dst: string): void {
  truth.pairs.add(`${src} ${dst}`);
  truth.pairs.add(`${dst} ${src}`);
  truth.sources.add(src);
  truth.destinations.add(dst);
}

/** Reads the labels of Zeek TSV logs (`#fields` header with `label`) or CIC CSV files (`Label`). */
export function labeledTruth(files: readonly string[], kind: 'zeek' | 'cic'): LabelTruth {
  const truth: LabelTruth = { pairs: new Set(), sources: new Set(), destinations: new Set() };
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (kind === 'zeek') {
      const fields = lines.find((l) => l.startsWith('#fields'))?.split('\t').slice(1) ?? [];
      const [s, d, label] = ['id.orig_h', 'id.resp_h', 'label'].map((f) => fields.indexOf(f));
      if (label! < 0) continue;
      for (const line of lines) {
        if (line.startsWith('#') || line === '') continue;
        const cols = line.split('\t');
        if (/^malicious/i.test(cols[label!] ?? '')) add(truth, cols[s!]!, cols[d!]!);
      }
    } else {
      const header = lines[0]!.split(',').map((h) => h.trim());
      const [s, d, label] = ['Src IP', 'Dst IP', 'Label'].map((f) => header.indexOf(f));
      for (const line of lines.slice(1)) {
        const cols = line.split(',');
        if (cols.length < header.length) continue;
        if (!/^benign$/i.test(cols[label!]!.trim())) add(truth, cols[s!]!.trim(), cols[d!]!.trim());
      }
    }
  }
  return truth;
}
