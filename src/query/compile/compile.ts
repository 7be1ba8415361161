// Compiles a query AST to SQL for one dialect. Every user value goes through the dialect's
// parameter sink: no value from the query text is ever spliced into the SQL.

import { FLOW_COLUMNS, flowColumn, type ColumnKind } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import type { BoundParam, CompiledQuery, Dialect, OutputField, ParamSink, RollupTable } from '../../store/store.js';
import type { Comparator, FieldRef, Filter, Metric, Query, Stage } from '../language/ast.js';

/** Time bounds and limits applied around the query text. */
export interface CompileOptions {
  /** Inclusive lower bound on flow start, epoch ms. */
  readonly from?: number;
  /** Exclusive upper bound on flow start, epoch ms. */
  readonly to?: number;
  /** Row limit for a plain flow listing that has no `limit` stage (0 = none). */
  readonly listLimit?: number;
  /** Rollup tables the store keeps; the coarsest that can answer the query is used. */
  readonly rollups?: readonly RollupTable[];
}

/**
 * A field a query reads: as a value (grouped, sorted, matched as text or address), or through a
 * numeric test, which a rollup can answer even where it stores a range of values as one.
 */
type FieldUse = { readonly field: string; readonly test?: { readonly op: Comparator | 'in'; readonly values: readonly number[] } };

/** The fields a filter reads, or undefined when it needs per-flow values (rates, tags, addresses). */
function filterFields(filter: Filter): FieldUse[] | undefined {
  const read = (fields: readonly string[]): FieldUse[] => fields.map((field) => ({ field }));
  switch (filter.type) {
    case 'any':
      return [];
    case 'and':
    case 'or': {
      const left = filterFields(filter.left);
      const right = filterFields(filter.right);
      return left && right ? [...left, ...right] : undefined;
    }
    case 'not':
      return filterFields(filter.operand);
    case 'ip':
      return read(filter.field === 'addr' ? (filter.dir === 'src' ? ['src'] : filter.dir === 'dst' ? ['dst'] : ['src', 'dst']) : [filter.field]);
    case 'family':
      return read(['src', 'dst']);
    case 'compare':
      return filter.fields.map((field) => ({ field, test: { op: filter.op, values: [filter.value] } }));
    case 'in':
      return filter.fields.map((field) => ({ field, test: { op: 'in', values: filter.values } }));
    case 'text':
      return read(filter.fields);
    case 'flags':
      return read(['tcp_flags']);
    case 'derived':
    case 'tag':
      return undefined;
  }
}

/**
 * Whether a use gives the same answer for every value in `from..max`, which a rollup stores as
 * one: then the rollup's rows answer it exactly. A range test is the same at both ends of the
 * span; an equality or list test names no value inside it.
 */
function blindTo(use: FieldUse, from: number, max: number): boolean {
  const test = use.test;
  if (!test) return false;
  const inside = (v: number) => v >= from && v <= max;
  switch (test.op) {
    case 'in':
    case '=':
      return !test.values.some(inside);
    default: {
      const value = test.values[0]!;
      const holds = (v: number) => (test.op === '<' ? v < value : test.op === '<=' ? v <= value : test.op === '>' ? v > value : v >= value);
      return holds(from) === holds(max);
    }
  }
}

/**
 * The coarsest rollup that answers a query exactly: an aggregation (not a listing or a distinct
 * count) over dimensions only, with time bounds and timeline interval on its bucket edges, and
 * no way to tell apart values a rollup keeps as one.
 */
export function chooseRollup(query: Query, options: CompileOptions): RollupTable | undefined {
  const aggregation = query.stages.find((s) => AGGREGATIONS.has(s.type));
  if (!aggregation || aggregation.type === 'count-distinct') return undefined;
  const uses = filterFields(query.filter);
  if (!uses) return undefined;
  if (aggregation.type === 'count') uses.push(...aggregation.by.map((f) => ({ field: f.name })));
  if (aggregation.type === 'top') uses.push({ field: aggregation.field.name });
  for (const stage of query.stages) if (stage.type === 'sort' && !METRIC_NAMES.includes(stage.field.name as Metric) && stage.field.name !== 'time') uses.push({ field: stage.field.name });
  const candidates = [...(options.rollups ?? [])].sort((a, b) => b.bucketMs - a.bucketMs);
  return candidates.find((r) => {
    const aligned = (t: number | undefined) => t === undefined || t % r.bucketMs === 0;
    if (!aligned(options.from) || !aligned(options.to)) return false;
    if (aggregation.type === 'timeline' && aggregation.intervalMs % r.bucketMs !== 0) return false;
    return uses.every((use) => {
      if (!r.dimensions.includes(use.field)) return false;
      const coarse = r.coarsened?.[use.field];
      return !coarse || blindTo(use, coarse.from, coarse.max);
    });
  });
}

const AGGREGATIONS = new Set<Stage['type']>(['count', 'count-distinct', 'top', 'timeline']);
const METRIC_NAMES: readonly Metric[] = ['flows', 'packets', 'bytes'];

function kindOf(name: string): ColumnKind {
  const column = flowColumn(name);
  if (!column) throw new Error(`no column ${name}`);
  return column.kind;
}

/** Compiles a filter to a SQL condition. */
export function compileFilter(filter: Filter, dialect: Dialect, params: ParamSink): string {
  const q = dialect.quote;
  const either = (parts: string[]): string => (parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);
  switch (filter.type) {
    case 'any':
      return 'TRUE';
    case 'and':
    case 'or':
      return `(${compileFilter(filter.left, dialect, params)} ${filter.type.toUpperCase()} ${compileFilter(filter.right, dialect, params)})`;
    case 'not':
      // NULL-safe: a missing value makes the positive test false, so its negation must be true.
      return `(NOT COALESCE(${compileFilter(filter.operand, dialect, params)}, FALSE))`;
    case 'ip': {
      const columns = filter.field !== 'addr' ? [filter.field] : filter.dir === 'src' ? ['src'] : filter.dir === 'dst' ? ['dst'] : ['src', 'dst'];
      const parts: string[] = [];
      for (const column of columns) {
        for (const range of filter.ranges) {
          parts.push(dialect.flowsIpInRange(column, range, params));
        }
      }
      return either(parts);
    }
    case 'family':
      return `(${dialect.ipIsFamily('src', filter.family)} AND ${dialect.ipIsFamily('dst', filter.family)})`;
    case 'compare':
      return either(filter.fields.map((f) => `${q(f)} ${filter.op} ${params.bind(kindOf(f), filter.value)}`));
    case 'in':
      return either(filter.fields.map((f) => `${q(f)} IN (${filter.values.map((v) => params.bind(kindOf(f), v)).join(', ')})`));
    case 'flags': {
      const mask = params.bind('u8', filter.mask);
      return `${dialect.bitAnd(q('tcp_flags'), mask)} = ${mask}`;
    }
    case 'derived': {
      const duration = `(${dialect.timeMs('end')} - ${dialect.timeMs('start')})`;
      // nfdump's integer maths: rates of zero-length flows are 0, bpp of packetless flows is 0.
      const measure =
        filter.measure === 'duration'
          ? duration
          : filter.measure === 'bpp'
            ? `CASE WHEN ${q('packets')} = 0 THEN 0 ELSE ${dialect.intDiv(q('bytes'), q('packets'))} END`
            : // In 128 bits: 8000 x bytes passes 2^63 from about a petabyte (DuckDB raised an overflow, ClickHouse wrapped).
              `CASE WHEN ${duration} <= 0 THEN 0 ELSE ${dialect.intDiv(`${filter.measure === 'pps' ? 1000 : 8000} * ${dialect.int128(q(filter.measure === 'pps' ? 'packets' : 'bytes'))}`, duration)} END`;
      return `${measure} ${filter.op} ${params.bind('i64', filter.value)}`;
    }
    case 'text':
      return either(filter.fields.map((f) => `${q(f)} = ${params.bind(kindOf(f), filter.value)}`));
    case 'tag':
      return dialect.tagsContain('tags', filter.value, params);
  }
}

/** A field as selected: its SQL expressions and their aliases. */
function selectField(name: string, dialect: Dialect): { exprs: string[]; output: OutputField } {
  const kind = kindOf(name);
  const exprs = kind === 'ip' ? [...dialect.ipColumns(name)] : kind === 'time' ? [dialect.timeMs(name)] : [dialect.quote(name)];
  const aliases = exprs.map((_, i) => `${name}__${i}`);
  return { exprs, output: { name, kind, aliases } };
}

function fail(query: Query, column: number, message: string, code: 'QUERY_SYNTAX' | 'QUERY_FIELD' = 'QUERY_SYNTAX'): never {
  throw new VantageError(code, message, { column, source: query.source });
}

/** Compiles a whole query for a dialect. */
export function compileQuery(query: Query, dialect: Dialect, options: CompileOptions = {}): CompiledQuery {
  const params = dialect.newParams();
  const q = dialect.quote;
  const rollup = chooseRollup(query, options);
  const where: string[] = [];
  if (options.from !== undefined) where.push(`${q('start')} >= ${params.bind('time', options.from)}`);
  if (options.to !== undefined) where.push(`${q('start')} < ${params.bind('time', options.to)}`);
  if (query.filter.type !== 'any') where.push(compileFilter(query.filter, dialect, params));

  const aggregations = query.stages.filter((s) => AGGREGATIONS.has(s.type));
  if (aggregations.length > 1) fail(query, aggregations[1]!.column, `only one of count, top and timeline may be used in a query`);
  const aggregation = aggregations[0];
  if (aggregation) {
    const before = query.stages.slice(0, query.stages.indexOf(aggregation)).find((s) => !AGGREGATIONS.has(s.type));
    if (before) fail(query, before.column, `'${before.type}' must come after '${aggregation.type}'`);
  }

  const select: string[] = [];
  const outputs: OutputField[] = [];
  const groupBy: string[] = [];
  let orderBy: string[] = [];
  let limit: number | undefined;

  const addField = (name: string, group: boolean): void => {
    const { exprs, output } = selectField(name, dialect);
    exprs.forEach((e, i) => select.push(`${e} AS ${q(output.aliases[i]!)}`));
    if (group) groupBy.push(...exprs);
    outputs.push(output);
  };
  const addMetrics = (): void => {
    // Aliases differ from column names: ClickHouse would otherwise read `bytes` in WHERE as SUM(bytes).
    const flows = rollup ? `COALESCE(SUM(${q('flows')}), 0)` : 'COUNT(*)';
    select.push(`${flows} AS ${q('m_flows')}`, `COALESCE(SUM(${q('packets')}), 0) AS ${q('m_packets')}`, `COALESCE(SUM(${q('bytes')}), 0) AS ${q('m_bytes')}`);
    for (const m of METRIC_NAMES) outputs.push({ name: m, kind: 'count', aliases: [`m_${m}`] });
  };
  const orderOf = (name: string, descending: boolean): string[] => {
    const out = outputs.find((o) => o.name === name);
    if (!out) return [];
    const direction = descending ? 'DESC' : 'ASC';
    // An address sorts as one key, however the backend splits it into columns.
    if (out.kind === 'ip') return [`${dialect.ipKeyOf(out.aliases.map(q))} ${direction}`];
    return out.aliases.map((a) => `${q(a)} ${direction}`);
  };
  const keyOrder = (fields: readonly FieldRef[]): string[] => fields.flatMap((f) => orderOf(f.name, false));

  if (!aggregation) {
    for (const c of FLOW_COLUMNS) addField(c.name, false);
    orderBy = orderOf('start', false);
    if (options.listLimit) limit = options.listLimit;
  } else {
    switch (aggregation.type) {
      case 'count':
        for (const f of aggregation.by) addField(f.name, true);
        addMetrics();
        if (aggregation.by.length > 0) orderBy = [...orderOf('flows', true), ...keyOrder(aggregation.by)];
        break;
      case 'top':
        addField(aggregation.field.name, true);
        addMetrics();
        orderBy = [...orderOf(aggregation.metric, true), ...keyOrder([aggregation.field])];
        limit = aggregation.n;
        break;
      case 'timeline': {
        select.push(`${dialect.timeBucket('start', aggregation.intervalMs, params)} AS ${q('time')}`);
        groupBy.push(q('time'));
        outputs.push({ name: 'time', kind: 'time', aliases: ['time'] });
        addMetrics();
        orderBy = orderOf('time', false);
        break;
      }
      case 'count-distinct': {
        for (const f of aggregation.by) addField(f.name, true);
        const name = `distinct_${aggregation.field.name}`;
        select.push(`${dialect.countDistinct(aggregation.field.name, kindOf(aggregation.field.name))} AS ${q(name)}`);
        outputs.push({ name, kind: 'count', aliases: [name] });
        addMetrics();
        if (aggregation.by.length > 0) orderBy = [...orderOf(name, true), ...keyOrder(aggregation.by)];
        break;
      }
    }
  }

  // Stages after the aggregation (or on the plain listing) shape the rows.
  let visible: OutputField[] = outputs;
  const after = aggregation ? query.stages.slice(query.stages.indexOf(aggregation) + 1) : query.stages;
  for (const stage of after) {
    if (stage.type === 'sort') {
      const order = orderOf(stage.field.name, stage.descending);
      if (order.length === 0) fail(query, stage.field.column, `cannot sort by '${stage.field.name}': the rows have ${outputs.map((o) => o.name).join(', ')}`, 'QUERY_FIELD');
      orderBy = order;
    } else if (stage.type === 'limit') {
      limit = limit === undefined ? stage.n : Math.min(limit, stage.n);
    } else if (stage.type === 'fields') {
      visible = stage.fields.map((f) => {
        const out = outputs.find((o) => o.name === f.name);
        if (!out) fail(query, f.column, `no field '${f.name}' here: the rows have ${outputs.map((o) => o.name).join(', ')}`, 'QUERY_FIELD');
        return out;
      });
    }
  }

  let sql = `SELECT ${select.join(', ')} FROM ${q(rollup?.table ?? 'flows')}`;
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  if (groupBy.length > 0) sql += ` GROUP BY ${groupBy.join(', ')}`;
  if (orderBy.length > 0) sql += ` ORDER BY ${orderBy.join(', ')}`;
  if (limit !== undefined) sql += ` LIMIT ${params.bind('i64', limit)}`;
  return { sql, params: params.params as readonly BoundParam[], outputs: visible };
}
