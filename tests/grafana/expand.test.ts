// The macro and variable expansion that stands in for Grafana, against the expansions Grafana's
// PostgreSQL data source documents and tests (macros.go and its tests, rangeutil, the SQL
// data sources' interpolateVariable).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  calculateInterval,
  expandMacros,
  expandPanelQuery,
  interpolateVariables,
  relativeRange,
  roundInterval,
  secondsToHms,
} from "./expand.ts";

const from = new Date("2018-04-12T18:00:00Z");
const to = new Date("2018-04-12T18:05:00Z");
const range = { from, to };
const expand = (sql: string) => expandMacros(sql, range, 60_000);

describe("PostgreSQL macros", () => {
  test("$__time and $__timeEpoch name the column time", () => {
    assert.equal(expand("select $__time(time_column)"), 'select time_column AS "time"');
    assert.equal(
      expand("select $__timeEpoch(time_column)"),
      'select extract(epoch from time_column) as "time"',
    );
  });

  test("$__timeFilter is a BETWEEN over RFC 3339 times in UTC", () => {
    assert.equal(
      expand("WHERE $__timeFilter(time_column)"),
      "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
    );
  });

  test("fractional seconds are written without trailing zeros", () => {
    const half = {
      from: new Date("1960-02-01T07:00:00.500Z"),
      to: new Date("1980-02-03T08:00:00.500Z"),
    };
    assert.equal(
      expandMacros("WHERE $__timeFilter(t)", half, 1000),
      "WHERE t BETWEEN '1960-02-01T07:00:00.5Z' AND '1980-02-03T08:00:00.5Z'",
    );
  });

  test("$__timeFrom() and $__timeTo() are quoted times", () => {
    assert.equal(expand("select $__timeFrom()"), "select '2018-04-12T18:00:00Z'");
    assert.equal(expand("select $__timeTo()"), "select '2018-04-12T18:05:00Z'");
  });

  test("$__timeGroup floors the epoch to the interval; the Alias form names it time", () => {
    assert.equal(
      expand("SELECT $__timeGroup(time_column,'5m')"),
      "SELECT floor(extract(epoch from time_column)/300)*300",
    );
    assert.equal(
      expand("SELECT $__timeGroupAlias(time_column,'5m')"),
      'SELECT floor(extract(epoch from time_column)/300)*300 AS "time"',
    );
    assert.equal(
      expand("$__timeGroup(time_column , '5m')"),
      "floor(extract(epoch from time_column)/300)*300",
    );
  });

  test("$__timeGroup followed by a comma keeps its pre-5.3 meaning and names the column", () => {
    assert.equal(
      expand("SELECT $__timeGroup(time_column,'5m'), value"),
      'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value',
    );
    assert.equal(
      expand("SELECT $__timeGroup(time_column,'5m') as time, value"),
      "SELECT floor(extract(epoch from time_column)/300)*300 as time, value",
    );
  });

  test("the unix epoch macros compare and group plain numbers", () => {
    const fromS = from.getTime() / 1000;
    const toS = to.getTime() / 1000;
    assert.equal(expand("$__unixEpochFilter(t)"), `t >= ${fromS} AND t <= ${toS}`);
    assert.equal(
      expand("$__unixEpochNanoFilter(t)"),
      `t >= ${fromS}000000000 AND t <= ${toS}000000000`,
    );
    assert.equal(expand("$__unixEpochNanoFrom()"), `${fromS}000000000`);
    assert.equal(expand("$__unixEpochFrom() $__unixEpochTo()"), `${fromS} ${toS}`);
    assert.equal(
      expand("SELECT $__unixEpochGroupAlias(time_column+time_adjustment,'5m')"),
      'SELECT floor((time_column+time_adjustment)/300)*300 AS "time"',
    );
  });

  test("$__interval and $__interval_ms are the query's interval", () => {
    assert.equal(expandMacros("SELECT $__interval", range, 600_000), "SELECT 10m");
    assert.equal(expandMacros("SELECT $__interval_ms", range, 600_000), "SELECT 600000");
  });

  test("an unknown macro or a missing column is an error, not silent SQL", () => {
    assert.throws(() => expand("select $__nope(x)"), /unknown macro "__nope"/);
    assert.throws(() => expand("select $__timeFilter()"), /missing time column/);
    assert.throws(() => expand("select $__timeGroup(t)"), /needs time column and interval/);
  });
});

describe("the panel interval", () => {
  test("roundInterval and secondsToHms give Grafana's steps", () => {
    assert.equal(roundInterval(288_000), 300_000);
    assert.equal(roundInterval(2_016_000), 1_800_000);
    assert.equal(roundInterval(43_200_000), 43_200_000);
    assert.equal(roundInterval(5_000_000_000), 31_536_000_000);
    assert.equal(secondsToHms(300), "5m");
    assert.equal(secondsToHms(86400 * 30), "30d");
    assert.equal(secondsToHms(0.05), "50ms");
  });

  test("calculateInterval divides the range by the resolution and respects the minimum", () => {
    const now = new Date("2026-12-03T12:00:00Z");
    assert.deepEqual(calculateInterval(relativeRange("24h", now), 300), {
      intervalMs: 300_000,
      interval: "5m",
    });
    assert.equal(calculateInterval(relativeRange("7d", now), 300).interval, "30m");
    assert.equal(calculateInterval(relativeRange("7d", now), 300, "1h").interval, "1h");
    assert.equal(calculateInterval(relativeRange("30d", now), 60, "1h").interval, "12h");
    assert.equal(calculateInterval(relativeRange("15m", now), 100, "1m").interval, "1m");
  });
});

describe("template variables", () => {
  const variables = {
    provider: { values: ["openai", "anthropic"], multi: true, includeAll: true },
    region: { values: ["enam"], multi: true, includeAll: true },
    single: { values: ["o'brien"], multi: false, includeAll: false },
    named: { values: ["o'brien"], multi: true, includeAll: false },
  };

  test("multi-value and All variables become quoted literals joined by commas", () => {
    assert.equal(
      interpolateVariables("provider in ($provider) and region in (${region})", variables),
      "provider in ('openai','anthropic') and region in ('enam')",
    );
    assert.equal(interpolateVariables("x in ([[named]])", variables), "x in ('o''brien')");
  });

  test("a plain single-value variable goes in as text with its quotes doubled", () => {
    assert.equal(interpolateVariables("x = '$single'", variables), "x = 'o''brien'");
  });

  test("macros and unknown names are left to the later steps", () => {
    assert.equal(
      interpolateVariables("$__timeFilter(ts) and $unknown", variables),
      "$__timeFilter(ts) and $unknown",
    );
  });

  test("a whole panel query expands in Grafana's order", () => {
    const now = new Date("2026-12-03T12:00:00Z");
    const { sql, interval } = expandPanelQuery({
      rawSql:
        "select $__timeGroupAlias(ts, $__interval), count(*) from t " +
        "where $__timeFilter(ts) and p in ($provider) group by 1 -- $__interval_ms",
      range: relativeRange("24h", now),
      maxDataPoints: 300,
      minInterval: "1m",
      variables,
    });
    assert.equal(interval.interval, "5m");
    assert.equal(
      sql,
      'select floor(extract(epoch from ts)/300)*300 AS "time", count(*) from t where ts ' +
        "BETWEEN '2026-12-02T12:00:00Z' AND '2026-12-03T12:00:00Z' and p in " +
        "('openai','anthropic') group by 1 -- 300000",
    );
  });
});
