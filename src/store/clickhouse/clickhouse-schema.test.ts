import { describe, expect, it } from 'vitest';
import { FLOW_COLUMNS } from '../../core/columns.js';
import { clickHouseMigrations, clickHouseType } from './clickhouse-schema.js';

describe('clickHouseMigrations', () => {
  it('makes a day-partitioned MergeTree with every column and the rollups on one node', () => {
    const ddl = clickHouseMigrations({ database: 'vantage', retentionDays: 90 }).join(';\n');
    for (const c of FLOW_COLUMNS) expect(ddl).toContain(`\`${c.name}\` ${clickHouseType(c)}`);
    expect(ddl).toContain('ENGINE = MergeTree\nPARTITION BY toDate(`start`)');
    expect(ddl).toContain('TTL toStartOfHour(`start`) + INTERVAL 1 HOUR + INTERVAL 90 DAY DELETE');
    expect(ddl).toContain('CREATE MATERIALIZED VIEW IF NOT EXISTS vantage.flows_1m_mv');
    expect(ddl).toContain('CREATE MATERIALIZED VIEW IF NOT EXISTS vantage.flows_1h_mv');
    expect(ddl).not.toContain('ON CLUSTER');
  });

  it('makes replicated local tables behind Distributed ones on a cluster', () => {
    const ddl = clickHouseMigrations({ database: 'vantage', cluster: 'vantage_cluster' });
    const text = ddl.join(';\n');
    expect(text).toContain("ReplicatedMergeTree('/clickhouse/tables/{shard}/vantage/flows_local', '{replica}')");
    expect(text).toContain('ENGINE = Distributed(vantage_cluster, vantage, flows_local, rand())');
    expect(text).toContain('ENGINE = Distributed(vantage_cluster, vantage, flows_1h_local, rand())');
    expect(text).toContain('FROM vantage.flows_local GROUP BY');
    expect(ddl.filter((s) => /^(CREATE|ALTER)/.test(s)).every((s) => s.includes('ON CLUSTER vantage_cluster'))).toBe(true);
  });

  it('maps kinds to ClickHouse types', () => {
    const byName = Object.fromEntries(FLOW_COLUMNS.map((c) => [c.name, clickHouseType(c)]));
    expect(byName).toMatchObject({
      start: "DateTime64(3, 'UTC')",
      src: 'IPv6',
      exporter: 'Nullable(IPv6)',
      dport: 'UInt16',
      bytes: 'UInt64',
      src_country: 'LowCardinality(Nullable(String))',
      tags: 'Array(LowCardinality(String))',
    });
  });

  it('refuses identifiers that could smuggle SQL', () => {
    expect(() => clickHouseMigrations({ database: 'x; DROP DATABASE y' })).toThrow(/invalid ClickHouse identifier/);
  });
});
