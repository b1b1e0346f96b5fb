// A stand-in for what Grafana does to a PostgreSQL panel's SQL before the database sees it. No
// Grafana server runs here, so the board's tests and benchmark expand the queries the way
// Grafana's documentation and source describe and run the result on real PostgreSQL:
// 1. the frontend computes $__interval for the panel (calculateInterval: range / max data
//    points, rounded by roundInterval, never below the panel's or data source's min interval);
// 2. it replaces template variables ($var, ${var}, [[var]]); multi-value and All variables
//    become single-quoted literals joined by commas, quotes doubled;
// 3. the backend replaces $__interval_ms, $__interval, $__unixEpochFrom() and $__unixEpochTo();
// 4. the PostgreSQL macro engine expands $__time, $__timeEpoch, $__timeFilter, $__timeFrom,
//    $__timeTo, $__timeGroup, $__timeGroupAlias, $__unixEpochFilter, $__unixEpochNanoFilter,
//    $__unixEpochNanoFrom, $__unixEpochNanoTo, $__unixEpochGroup and $__unixEpochGroupAlias.
// Not covered: TimescaleDB's time_bucket form, fill modes (the third $__timeGroup argument is
// refused) and variable formats other than the default.

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface Variable {
  values: string[];
  multi: boolean;
  includeAll: boolean;
}

export interface Interval {
  intervalMs: number;
  interval: string; // as Grafana writes it: "5m", "1h", "30d"
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Grafana's roundInterval ladder (@grafana/data rangeutil): [below this ms, use this ms].
const ROUND_LADDER: Array<[number, number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, SECOND],
  [3500, 2 * SECOND],
  [7500, 5 * SECOND],
  [12500, 10 * SECOND],
  [17500, 15 * SECOND],
  [25000, 20 * SECOND],
  [45000, 30 * SECOND],
  [90000, MINUTE],
  [210000, 2 * MINUTE],
  [450000, 5 * MINUTE],
  [750000, 10 * MINUTE],
  [1050000, 15 * MINUTE],
  [1500000, 20 * MINUTE],
  [2700000, 30 * MINUTE],
  [5400000, HOUR],
  [9000000, 2 * HOUR],
  [16200000, 3 * HOUR],
  [32400000, 6 * HOUR],
  [86400000, 12 * HOUR],
  [604800000, DAY],
  [1814400000, 7 * DAY],
  [3628800000, 30 * DAY],
];

export function roundInterval(ms: number): number {
  for (const [below, rounded] of ROUND_LADDER) if (ms < below) return rounded;
  return 365 * DAY;
}

/** Grafana's secondsToHms: the largest whole unit, as in "2m" or "30d". */
export function secondsToHms(seconds: number): string {
  const units: Array<[number, string]> = [
    [31536000, "y"],
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  let rest = seconds;
  for (const [size, unit] of units) {
    const whole = Math.floor(rest / size);
    if (whole) return `${whole}${unit}`;
    rest %= size;
  }
  const ms = Math.floor(seconds * 1000);
  return ms ? `${ms}ms` : "less than a millisecond";
}

const INTERVAL_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
  d: DAY,
  w: 7 * DAY,
  M: 30 * DAY,
  y: 365 * DAY,
};

/** An interval as Grafana accepts it ("1m", "30s", "2h", "1d"), in ms; a bare number is seconds. */
export function parseInterval(text: string): number {
  const trimmed = text.trim().replace(/^['"]+|['"]+$/g, "");
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const match = /^(\d+(?:\.\d+)?)(ms|[smhdwMy])$/.exec(trimmed);
  if (!match) throw new Error(`not an interval Grafana parses: ${text}`);
  return Number(match[1]) * INTERVAL_UNITS_MS[match[2]!]!;
}

/** calculateInterval: the range over the resolution, rounded, at least the minimum interval. */
export function calculateInterval(
  range: TimeRange,
  resolution: number,
  minInterval?: string,
): Interval {
  const lowLimitMs = minInterval ? parseInterval(minInterval) : 1;
  let intervalMs = roundInterval((range.to.getTime() - range.from.getTime()) / resolution);
  if (lowLimitMs > intervalMs) intervalMs = lowLimitMs;
  return { intervalMs, interval: secondsToHms(intervalMs / 1000) };
}

/** A relative time as in a panel's timeFrom ("15m", "24h", "7d"): now minus it, until now. */
export function relativeRange(timeFrom: string, now: Date): TimeRange {
  return { from: new Date(now.getTime() - parseInterval(timeFrom)), to: now };
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function formatVariable(variable: Variable): string {
  if (variable.multi || variable.includeAll) return variable.values.map(quoteLiteral).join(",");
  return (variable.values[0] ?? "").replace(/'/g, "''");
}

// Grafana's variable syntaxes: $name, [[name]] or [[name:format]], ${name} or ${name:format}.
const VARIABLE_PATTERN =
  /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Replaces the variables it knows; unknown names (the $__ macros among them) stay as they are. */
export function interpolateVariables(sql: string, variables: Record<string, Variable>): string {
  return sql.replace(
    VARIABLE_PATTERN,
    (whole, plain, bracket, bracketFormat, braced, _path, fmt) => {
      const name = plain ?? bracket ?? braced;
      const variable = variables[name];
      if (!variable) return whole;
      if (bracketFormat || fmt) throw new Error(`variable format not covered: ${whole}`);
      return formatVariable(variable);
    },
  );
}

// Go's RFC3339Nano: fractional seconds only when there are any, without trailing zeros.
const rfc3339 = (date: Date) =>
  date.toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : "Z"));
const unix = (date: Date) => Math.floor(date.getTime() / 1000);
const unixNano = (date: Date) => `${BigInt(date.getTime()) * 1000000n}`;

function groupSeconds(name: string, args: string[]): number {
  if (args.length < 2) {
    throw new Error(`macro ${name} needs time column and interval and optional fill value`);
  }
  if (args.length > 2) throw new Error(`fill modes are not covered: ${name}(${args.join(",")})`);
  return parseInterval(args[1]!) / 1000;
}

function evaluateMacro(name: string, args: string[], range: TimeRange): string {
  const column = args[0] ?? "";
  const needsColumn = () => {
    if (args.length === 0 || column === "") {
      throw new Error(`missing time column argument for macro ${name}`);
    }
  };
  switch (name) {
    case "__time":
      needsColumn();
      return `${column} AS "time"`;
    case "__timeEpoch":
      needsColumn();
      return `extract(epoch from ${column}) as "time"`;
    case "__timeFilter":
      needsColumn();
      return `${column} BETWEEN '${rfc3339(range.from)}' AND '${rfc3339(range.to)}'`;
    case "__timeFrom":
      return `'${rfc3339(range.from)}'`;
    case "__timeTo":
      return `'${rfc3339(range.to)}'`;
    case "__timeGroup": {
      const seconds = groupSeconds(name, args);
      return `floor(extract(epoch from ${column})/${seconds})*${seconds}`;
    }
    case "__timeGroupAlias":
      return `${evaluateMacro("__timeGroup", args, range)} AS "time"`;
    case "__unixEpochFilter":
      needsColumn();
      return `${column} >= ${unix(range.from)} AND ${column} <= ${unix(range.to)}`;
    case "__unixEpochNanoFilter":
      needsColumn();
      return `${column} >= ${unixNano(range.from)} AND ${column} <= ${unixNano(range.to)}`;
    case "__unixEpochNanoFrom":
      return unixNano(range.from);
    case "__unixEpochNanoTo":
      return unixNano(range.to);
    case "__unixEpochGroup": {
      const seconds = groupSeconds(name, args);
      return `floor((${column})/${seconds})*${seconds}`;
    }
    case "__unixEpochGroupAlias":
      return `${evaluateMacro("__unixEpochGroup", args, range)} AS "time"`;
    default:
      throw new Error(`unknown macro "${name}"`);
  }
}

/** The backend's global substitutions, then the PostgreSQL macro engine's. */
export function expandMacros(sql: string, range: TimeRange, intervalMs: number): string {
  let text = sql
    .replaceAll("$__interval_ms", String(intervalMs))
    .replaceAll("$__interval", secondsToHms(intervalMs / 1000))
    .replaceAll("$__unixEpochFrom()", String(unix(range.from)))
    .replaceAll("$__unixEpochTo()", String(unix(range.to)));
  const macro = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;
  text = text.replace(macro, (whole, rawName: string, rawArgs: string, offset: number) => {
    let name = rawName;
    // Before Grafana 5.3 $__timeGroup also named the column; a ',' right after it still means so.
    if (name === "__timeGroup" && text[offset + whole.length] === ",") name = "__timeGroupAlias";
    const args = rawArgs.split(",").map((arg) => arg.trim());
    return evaluateMacro(name, args, range);
  });
  return text;
}

export interface PanelQuery {
  rawSql: string;
  range: TimeRange;
  maxDataPoints: number;
  minInterval?: string; // the panel's interval, else the data source's timeInterval
  variables: Record<string, Variable>;
}

/** The SQL Grafana would send to PostgreSQL for one panel query, and the interval it used. */
export function expandPanelQuery(query: PanelQuery): { sql: string; interval: Interval } {
  const interval = calculateInterval(query.range, query.maxDataPoints, query.minInterval);
  const scoped: Record<string, Variable> = {
    ...query.variables,
    __interval: { values: [interval.interval], multi: false, includeAll: false },
    __interval_ms: { values: [String(interval.intervalMs)], multi: false, includeAll: false },
  };
  const withVariables = interpolateVariables(query.rawSql, scoped);
  return { sql: expandMacros(withVariables, query.range, interval.intervalMs), interval };
}
