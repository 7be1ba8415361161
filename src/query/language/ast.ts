// The query language's syntax tree: an nfdump-style filter followed by pipeline stages.
// Every node keeps its 1-based column so errors can point at it.

import type { IpRange } from '../../core/ip.js';

/** Which side of a flow a primitive tests: src, dst, or either (nfdump's default). */
export type Direction = 'src' | 'dst' | 'any';

/** Comparison operators (nfdump's =, ==, >, <, >=, <= and EQ, GT, LT, GE, LE). */
export type Comparator = '=' | '>' | '<' | '>=' | '<=';

/** A field name with the column it was written at. */
export interface FieldRef {
  readonly name: string;
  readonly column: number;
}

/** Filter expressions. */
export type Filter =
  | { readonly type: 'any'; readonly column: number }
  | { readonly type: 'and' | 'or'; readonly left: Filter; readonly right: Filter; readonly column: number }
  | { readonly type: 'not'; readonly operand: Filter; readonly column: number }
  /** Address tests: each range is one address or network; a list is an OR of them. */
  | { readonly type: 'ip'; readonly field: 'addr' | 'exporter' | 'next_hop'; readonly dir: Direction; readonly ranges: readonly IpRange[]; readonly column: number }
  | { readonly type: 'family'; readonly family: 4 | 6; readonly column: number }
  /** A numeric comparison on one column, or on src/dst columns when dir is 'any'. */
  | {
      readonly type: 'compare';
      readonly fields: readonly string[];
      readonly op: Comparator;
      readonly value: number;
      readonly column: number;
    }
  | { readonly type: 'in'; readonly fields: readonly string[]; readonly values: readonly number[]; readonly column: number }
  | { readonly type: 'flags'; readonly mask: number; readonly column: number }
  /** Derived rates (nfdump's duration/pps/bps/bpp), computed with nfdump's integer maths. */
  | { readonly type: 'derived'; readonly measure: 'duration' | 'pps' | 'bps' | 'bpp'; readonly op: Comparator; readonly value: number; readonly column: number }
  | { readonly type: 'text'; readonly fields: readonly string[]; readonly value: string; readonly column: number }
  | { readonly type: 'tag'; readonly value: string; readonly column: number };

/** The measures a `top` stage can rank by. */
export type Metric = 'flows' | 'packets' | 'bytes';

/** Pipeline stages after the filter. */
export type Stage =
  | { readonly type: 'count'; readonly by: readonly FieldRef[]; readonly column: number }
  | { readonly type: 'count-distinct'; readonly field: FieldRef; readonly by: readonly FieldRef[]; readonly column: number }
  | { readonly type: 'top'; readonly n: number; readonly field: FieldRef; readonly metric: Metric; readonly column: number }
  | { readonly type: 'timeline'; readonly intervalMs: number; readonly column: number }
  | { readonly type: 'sort'; readonly field: FieldRef; readonly descending: boolean; readonly column: number }
  | { readonly type: 'limit'; readonly n: number; readonly column: number }
  | { readonly type: 'fields'; readonly fields: readonly FieldRef[]; readonly column: number };

/** A whole query. */
export interface Query {
  readonly filter: Filter;
  readonly stages: readonly Stage[];
  /** The text it was parsed from, for error messages. */
  readonly source: string;
}
