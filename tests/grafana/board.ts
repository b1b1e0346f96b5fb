// The HeyHi dashboard as Grafana would run it: its panels, their time ranges (the dashboard's,
// or a panel's relative-time override) and their SQL expanded by the stand-in in expand.ts.
// Shared by the board's tests and the benchmark.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import {
  expandPanelQuery,
  parseInterval,
  relativeRange,
  type TimeRange,
  type Variable,
} from "./expand.ts";

export const DASHBOARD_PATH = resolve(
  import.meta.dirname,
  "../../dashboards/heyhi-healthboard.json",
);
export const PROVISIONING_DIR = resolve(import.meta.dirname, "../../dashboards/provisioning");
// What the provisioned data source sets as its min interval (jsonData.timeInterval).
export const DATASOURCE_MIN_INTERVAL = "1m";

export interface Target {
  refId: string;
  format: "time_series" | "table";
  rawSql: string;
  rawQuery?: boolean;
  datasource?: { type: string; uid: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  fieldConfig?: { defaults?: { unit?: string }; overrides?: unknown[] };
  targets?: Target[];
  timeFrom?: string;
  maxDataPoints?: number;
  interval?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
}

export interface TemplateVariable {
  type: string;
  name: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type: string; uid: string };
}

export interface Annotation {
  name: string;
  datasource?: { type: string; uid: string };
  target?: Target;
}

export interface Dashboard {
  uid: string;
  title: string;
  time: { from: string; to: string };
  panels: Panel[];
  templating: { list: TemplateVariable[] };
  annotations: { list: Annotation[] };
}

export function loadDashboard(path = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, "utf8")) as Dashboard;
}

/** The panels that query: every one but the row headers. */
export function queryPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.filter((panel) => panel.type !== "row");
}

/** The dashboard's default range ("now-24h" to "now") ending at `now`. */
export function dashboardRange(dashboard: Dashboard, now: Date): TimeRange {
  const match = /^now-(\w+)$/.exec(dashboard.time.from);
  if (!match || dashboard.time.to !== "now") {
    throw new Error(`dashboard time not covered: ${JSON.stringify(dashboard.time)}`);
  }
  return relativeRange(match[1]!, now);
}

/** The range a panel queries: its relative-time override, else the dashboard's. */
export function panelRange(panel: Panel, dashboardTime: TimeRange): TimeRange {
  return panel.timeFrom ? relativeRange(panel.timeFrom, dashboardTime.to) : dashboardTime;
}

/** Grafana's variable value for a selection: All expands to every option, as Grafana does. */
export function variable(values: string[]): Variable {
  return { values, multi: true, includeAll: true };
}

export function expandTarget(
  panel: Panel,
  target: Target,
  range: TimeRange,
  variables: Record<string, Variable>,
): { sql: string; interval: string } {
  const { sql, interval } = expandPanelQuery({
    rawSql: target.rawSql,
    range,
    // Grafana takes the panel's width in pixels when max data points is not set; the board
    // sets it wherever $__interval matters, and tables and tiles do not group by time.
    maxDataPoints: panel.maxDataPoints ?? 1000,
    minInterval: panel.interval ?? DATASOURCE_MIN_INTERVAL,
    variables,
  });
  return { sql, interval: interval.interval };
}

export function expandAnnotation(
  annotation: Annotation,
  range: TimeRange,
  variables: Record<string, Variable>,
): string {
  if (!annotation.target) throw new Error(`annotation ${annotation.name} has no query`);
  const panel: Panel = { id: 0, type: "annotation", title: annotation.name };
  return expandTarget(panel, annotation.target, range, variables).sql;
}

/** A variable's query, expanded with the variables it depends on. */
export function expandVariableQuery(
  templateVariable: TemplateVariable,
  range: TimeRange,
  variables: Record<string, Variable>,
): string {
  const panel: Panel = { id: 0, type: "variable", title: templateVariable.name };
  const target: Target = { refId: "V", format: "table", rawSql: templateVariable.query };
  return expandTarget(panel, target, range, variables).sql;
}

export const hours = (text: string) => parseInterval(text) / 3_600_000;
export const provisioningFile = (...parts: string[]) => join(PROVISIONING_DIR, ...parts);
