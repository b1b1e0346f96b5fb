// The Grafana board: its JSON and provisioning files checked for structure, then every panel's,
// variable's and annotation's SQL expanded as Grafana would (tests/grafana/expand.ts stands in
// for Grafana, which does not run here) and run as heyhi_grafana on the 30 seeded days, with
// the columns, types and row order each panel's format needs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import {
  dashboardRange,
  expandAnnotation,
  expandTarget,
  expandVariableQuery,
  loadDashboard,
  panelRange,
  provisioningFile,
  queryPanels,
  variable,
  type Panel,
  type Target,
} from "../grafana/board.ts";
import type { TimeRange, Variable } from "../grafana/expand.ts";
import { asRole, seededNow, trendsPool, type Rows } from "./support.ts";

const DATASOURCE = { type: "grafana-postgresql-datasource", uid: "${datasource}" };
const NUMERIC = ["int2", "int4", "int8", "float4", "float8", "numeric"];
const TIME = ["timestamptz", "timestamp", ...NUMERIC];
const HOUR_MS = 3_600_000;

// What each panel shows, column by column: name and PostgreSQL type.
const EXPECTED: Record<string, Array<[string, string[]]>> = {
  "Error rate by provider, last 15 minutes": [
    ["time", TIME],
    ["metric", ["text"]],
    ["error_rate", NUMERIC],
  ],
  "p95 latency by provider, last 15 minutes": [
    ["time", TIME],
    ["metric", ["text"]],
    ["p95_ms", NUMERIC],
  ],
  "Latency p50 and p95, last 24 hours": [
    ["time", TIME],
    ["metric", ["text"]],
    ["latency_ms", NUMERIC],
  ],
  "Latency p50 and p95, last 7 days": [
    ["time", TIME],
    ["metric", ["text"]],
    ["latency_ms", NUMERIC],
  ],
  "Error rate, last 24 hours": [
    ["time", TIME],
    ["metric", ["text"]],
    ["error_rate", NUMERIC],
  ],
  "Error rate, last 7 days": [
    ["time", TIME],
    ["metric", ["text"]],
    ["error_rate", NUMERIC],
  ],
  "Error rate, last 30 days": [
    ["time", TIME],
    ["metric", ["text"]],
    ["error_rate", NUMERIC],
  ],
  "Error rate by provider and model": [
    ["provider", ["text"]],
    ["model", ["text"]],
    ["probes", NUMERIC],
    ["error_rate", NUMERIC],
    ["p50_ms", NUMERIC],
    ["p95_ms", NUMERIC],
  ],
  "By region": [
    ["region", ["text"]],
    ["probes", NUMERIC],
    ["error_rate", NUMERIC],
    ["p50_ms", NUMERIC],
    ["p95_ms", NUMERIC],
  ],
  "Official status and our alerts": [
    ["time", TIME],
    ["metric", ["text"]],
    ["state", NUMERIC],
  ],
  "Recent failed probes": [
    ["time", TIME],
    ["provider", ["text"]],
    ["model", ["text"]],
    ["region", ["text"]],
    ["error_type", ["text"]],
    ["attribution", ["text"]],
    ["http_status", NUMERIC],
    ["latency_ms", NUMERIC],
    ["detail", ["text"]],
    ["request_id", ["text"]],
  ],
};

const dashboard = loadDashboard();
const panels = queryPanels(dashboard);
let pool: ReturnType<typeof trendsPool>;
let now: Date;
let typeNames: Map<number, string>;
let all: Record<string, Variable>;

interface Result {
  columns: Array<{ name: string; type: string }>;
  rows: Rows;
}

async function run(sql: string): Promise<Result> {
  return asRole(pool, "heyhi_grafana", async (client) => {
    const result = await client.query(sql);
    const columns = result.fields.map((f) => ({
      name: f.name,
      type: typeNames.get(f.dataTypeID) ?? `oid ${f.dataTypeID}`,
    }));
    return { columns, rows: result.rows };
  });
}

async function runTarget(
  panel: Panel,
  target: Target,
  range: TimeRange,
  variables: Record<string, Variable>,
): Promise<Result> {
  return run(expandTarget(panel, target, range, variables).sql);
}

const epochMs = (value: unknown) =>
  value instanceof Date ? value.getTime() : Number(value) * 1000;

// What Grafana's SQL engine needs of a time_series result before it can draw it.
function checkTimeSeries(title: string, result: Result): void {
  const time = result.columns.findIndex((c) => c.name === "time");
  assert.ok(time >= 0, `${title}: no time column`);
  for (const column of result.columns) {
    if (column.name === "time" || column.type === "text") continue;
    assert.ok(NUMERIC.includes(column.type), `${title}: ${column.name} is ${column.type}`);
  }
  const seen = new Set<string>();
  let previous = -Infinity;
  for (const row of result.rows) {
    assert.notEqual(row.time, null, `${title}: a row without time`);
    const at = epochMs(row.time);
    assert.ok(at >= previous, `${title}: rows not sorted by time`);
    previous = at;
    const key = `${at}|${String(row.metric)}`;
    assert.ok(!seen.has(key), `${title}: two rows for ${key}`);
    seen.add(key);
  }
}

function checkColumns(title: string, result: Result): void {
  const expected = EXPECTED[title];
  assert.ok(expected, `no expectation written down for the panel "${title}"`);
  assert.deepEqual(
    result.columns.map((c) => c.name),
    expected.map(([name]) => name),
    title,
  );
  for (const [i, [name, types]] of expected.entries()) {
    assert.ok(
      types.includes(result.columns[i]!.type),
      `${title}: ${name} is ${result.columns[i]!.type}`,
    );
  }
}

before(async () => {
  pool = trendsPool();
  now = await seededNow(pool);
  const { rows } = await pool.query("select oid, typname from pg_type");
  typeNames = new Map(rows.map((row) => [Number(row.oid), row.typname as string]));
  const values = async (column: string) => {
    const result = await asRole(pool, "heyhi_grafana", (client) =>
      client.query(`select distinct ${column} as v from public.llm_checks_hourly order by 1`),
    );
    return result.rows.map((row) => row.v as string);
  };
  all = {
    provider: variable(await values("provider")),
    model: variable(await values("model")),
    region: variable(await values("region")),
  };
});
after(async () => {
  await pool?.end();
});

describe("the dashboard JSON", () => {
  test("has a stable uid, a datasource variable and provider, model and region variables", () => {
    assert.equal(dashboard.uid, "heyhi-healthboard");
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(byName.get("datasource")?.type, "datasource");
    assert.equal(byName.get("datasource")?.query, DATASOURCE.type);
    for (const name of ["provider", "model", "region"]) {
      const v = byName.get(name);
      assert.ok(v, `no ${name} variable`);
      assert.equal(v.type, "query");
      assert.ok(v.multi && v.includeAll, `${name} must allow several values and All`);
      assert.deepEqual(v.datasource, DATASOURCE);
    }
  });

  test("every panel has a title, a description, a unit, the datasource and SQL targets", () => {
    assert.ok(panels.length >= 11);
    for (const panel of panels) {
      assert.ok(panel.title?.trim(), `panel ${panel.id} has no title`);
      assert.ok((panel.description ?? "").length > 20, `${panel.title}: no description`);
      assert.ok(panel.fieldConfig?.defaults?.unit, `${panel.title}: no unit`);
      assert.deepEqual(panel.datasource, DATASOURCE, panel.title);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no targets`);
      for (const target of panel.targets ?? []) {
        assert.deepEqual(target.datasource, DATASOURCE, panel.title);
        assert.ok(["time_series", "table"].includes(target.format), panel.title);
        assert.ok(target.rawQuery && target.rawSql.includes("from public."), panel.title);
      }
    }
  });

  test("panel ids are unique and every panel fits the 24-column grid", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of dashboard.panels) {
      const grid = panel.gridPos!;
      assert.ok(grid.x >= 0 && grid.w > 0 && grid.x + grid.w <= 24, panel.title);
    }
  });

  test("a panel that groups by $__interval sets its max data points, as Grafana needs it", () => {
    for (const panel of panels) {
      if (!panel.targets?.some((t) => t.rawSql.includes("$__interval"))) continue;
      assert.ok(panel.maxDataPoints, `${panel.title}: $__interval would follow the panel width`);
    }
  });

  test("shows what the board is for", () => {
    const titles = panels.map((p) => p.title).join("\n");
    for (const want of [
      /Error rate by provider, last 15 minutes/,
      /p95 latency by provider, last 15 minutes/,
      /Latency p50 and p95, last 24 hours/,
      /Latency p50 and p95, last 7 days/,
      /Error rate, last 24 hours/,
      /Error rate, last 7 days/,
      /by provider and model/,
      /Official status and our alerts/,
      /Recent failed probes/,
      /By region/,
    ]) {
      assert.match(titles, want);
    }
  });
});

describe("the provisioning files", () => {
  const parse = (path: string) => {
    const script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))";
    const out = spawnSync("python3", ["-c", script, path], { encoding: "utf8" });
    assert.equal(out.status, 0, `python3 with PyYAML could not read ${path}: ${out.stderr}`);
    return JSON.parse(out.stdout);
  };

  test("define a PostgreSQL data source, its user and password from the environment", () => {
    const file = parse(provisioningFile("datasources", "heyhi.yaml"));
    assert.equal(file.apiVersion, 1);
    const [source] = file.datasources;
    assert.equal(source.type, DATASOURCE.type);
    assert.match(source.user, /^\$__env\{\w+\}$/);
    assert.match(source.secureJsonData.password, /^\$__env\{\w+\}$/);
    assert.equal(source.jsonData.sslmode, "require");
    assert.equal(source.jsonData.timeInterval, "1m");
  });

  test("load the board from files", () => {
    const file = parse(provisioningFile("dashboards", "heyhi.yaml"));
    const [provider] = file.providers;
    assert.equal(provider.type, "file");
    assert.ok(provider.options.path.startsWith("/"));
  });
});

describe("every query on the 30 seeded days, as heyhi_grafana", () => {
  test("the variables list the seeded providers, a provider's models and the regions", async () => {
    const range = dashboardRange(dashboard, now);
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    const options = async (name: string, variables: Record<string, Variable>) => {
      const result = await run(expandVariableQuery(byName.get(name)!, range, variables));
      return result.rows.map((row) => Object.values(row)[0] as string);
    };
    assert.deepEqual(await options("provider", all), all.provider!.values);
    // OpenAI's flagship is disabled in the shipped configuration, so nothing seeds it.
    assert.deepEqual(await options("model", { ...all, provider: variable(["openai"]) }), [
      "gpt-6-luna",
    ]);
    assert.deepEqual(await options("region", all), ["apac", "enam", "weur"]);
  });

  for (const panel of panels) {
    test(`${panel.title}: returns its columns and rows on its default range`, async () => {
      const range = panelRange(panel, dashboardRange(dashboard, now));
      for (const target of panel.targets!) {
        const result = await runTarget(panel, target, range, all);
        checkColumns(panel.title, result);
        if (target.format === "time_series") checkTimeSeries(panel.title, result);
        assert.ok(result.rows.length > 0, `${panel.title}: no rows on the seeded days`);
      }
    });

    test(`${panel.title}: keeps to the selected providers and region over 30 days`, async () => {
      const range = { from: new Date(now.getTime() - 30 * 24 * HOUR_MS), to: now };
      const selection = {
        ...all,
        provider: variable(["anthropic", "xai"]),
        region: variable(["apac"]),
      };
      for (const target of panel.targets!) {
        const result = await runTarget(panel, target, range, selection);
        checkColumns(panel.title, result);
        if (target.format === "time_series") checkTimeSeries(panel.title, result);
        for (const row of result.rows) {
          if ("region" in row) assert.equal(row.region, "apac", panel.title);
          // The region table has no provider column: its filter is what the region check shows.
          if (!("provider" in row) && !("metric" in row)) continue;
          const provider = String(row.provider ?? row.metric).split(" ")[0];
          assert.ok(["anthropic", "xai"].includes(provider), `${panel.title}: ${provider}`);
        }
      }
    });
  }

  test("the annotations return time, text and tags", async () => {
    const range = { from: new Date(now.getTime() - 30 * 24 * HOUR_MS), to: now };
    for (const annotation of dashboard.annotations.list.filter((a) => a.target)) {
      const result = await run(expandAnnotation(annotation, range, all));
      const names = result.columns.map((c) => c.name);
      assert.ok(
        names.includes("time") && names.includes("text") && names.includes("tags"),
        names.join(),
      );
      assert.ok(result.rows.length >= 3, `${annotation.name}: ${result.rows.length} rows`);
    }
  });
});

describe("what the panels show", () => {
  const panelNamed = (title: string) => panels.find((p) => p.title === title)!;

  test("the latency trend agrees within 5 % from the raw probes and from the rollup", async () => {
    const panel = panelNamed("Latency p50 and p95, last 7 days");
    const end = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
    // Two days is the raw probes' limit; an hour more and the same panel reads the rollup.
    const raw = await runTarget(
      panel,
      panel.targets![0]!,
      { from: new Date(end.getTime() - 48 * HOUR_MS), to: end },
      all,
    );
    const rolled = await runTarget(
      panel,
      panel.targets![0]!,
      { from: new Date(end.getTime() - 49 * HOUR_MS), to: end },
      all,
    );
    const key = (row: Record<string, unknown>) => `${epochMs(row.time)}|${String(row.metric)}`;
    const exact = new Map(raw.rows.map((row) => [key(row), Number(row.latency_ms)]));
    let compared = 0;
    for (const row of rolled.rows) {
      const at = epochMs(row.time);
      // The edge hours are partial on the raw side.
      if (at <= end.getTime() - 48 * HOUR_MS || at >= end.getTime() - HOUR_MS) continue;
      const want = exact.get(key(row));
      assert.ok(want !== undefined, `no raw point for ${key(row)}`);
      const error = Math.abs(Number(row.latency_ms) - want) / want;
      assert.ok(error <= 0.05, `${key(row)}: raw ${want} ms, rollup ${row.latency_ms} ms`);
      compared += 1;
    }
    assert.ok(compared > 400, `only ${compared} points compared`);
  });

  test("the timeline has the official incidents and our alerts, open and resolved", async () => {
    const panel = panelNamed("Official status and our alerts");
    const range = { from: new Date(now.getTime() - 30 * 24 * HOUR_MS), to: now };
    const { rows } = await runTarget(panel, panel.targets![0]!, range, all);
    const states = (metric: string) =>
      new Set(rows.filter((r) => r.metric === metric).map((r) => r.state));
    assert.deepEqual(states("xai official"), new Set([2, 0]));
    assert.deepEqual(states("openai official"), new Set([4, 0]));
    assert.deepEqual(states("mistral alerts"), new Set([10, 11]));
  });

  test("the failed probes carry their error type, status, detail and request id", async () => {
    const panel = panelNamed("Recent failed probes");
    const range = { from: new Date(now.getTime() - 30 * 24 * HOUR_MS), to: now };
    const { rows } = await runTarget(panel, panel.targets![0]!, range, {
      ...all,
      provider: variable(["openai"]),
    });
    assert.equal(rows.length, 200);
    const outage = rows.find((r) => r.error_type === "server_error" && r.http_status === 500);
    assert.ok(outage, "no 500 from the seeded OpenAI outage");
    assert.match(String(outage.request_id), /^req_[0-9a-f]{32}$/);
    assert.ok(String(outage.detail).length > 0);
  });

  test("the 15-minute tiles show every provider", async () => {
    const panel = panelNamed("Error rate by provider, last 15 minutes");
    const range = panelRange(panel, dashboardRange(dashboard, now));
    const { rows } = await runTarget(panel, panel.targets![0]!, range, all);
    assert.deepEqual(
      rows.map((r) => r.metric),
      all.provider!.values,
    );
  });
});
