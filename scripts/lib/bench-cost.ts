// The money: the shipped configuration's month as the core prices it from the dated table in
// the configuration, per target and in total, and each free allowance it must fit.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { Allowance, Core, CostEstimate, TargetCost } from "../../worker-shim/src/core.ts";
import { fixed, table } from "./bench-format.ts";
import { ROOT } from "./bench-core.ts";

export type CostLine =
  | ({ bench: "cost_target" } & TargetCost)
  | {
      bench: "cost_total";
      usd_month: number;
      budget_usd_month: number | null;
      over_budget: boolean;
      prices_as_of: string | null;
      probes_month: number;
      confirmation_probes_month: number;
      outside_probes_month: number;
      outside_runner: CostEstimate["outside_runner"];
      assumed_failure_rate: number;
    }
  | ({ bench: "free_allowance" } & Allowance);

export function benchCost(core: Core): CostLine[] {
  const configJson = readFileSync(join(ROOT, "worker-shim/config/healthboard.json"), "utf8");
  const answer = core.cost(configJson);
  if (!answer.ok) throw new Error(`the core refused to price: ${JSON.stringify(answer.errors)}`);
  const { cost } = answer;
  if (cost.unpriced.length > 0) throw new Error(`unpriced targets: ${cost.unpriced.join(", ")}`);
  return [
    ...cost.targets.map((t) => ({ bench: "cost_target" as const, ...t })),
    {
      bench: "cost_total",
      usd_month: cost.usd_month,
      budget_usd_month: cost.budget_usd_month,
      over_budget: cost.over_budget,
      prices_as_of: cost.prices_as_of,
      probes_month: cost.probes_month,
      confirmation_probes_month: cost.confirmation_probes_month,
      outside_probes_month: cost.outside_probes_month,
      outside_runner: cost.outside_runner,
      assumed_failure_rate: cost.assumed_failure_rate,
    },
    ...cost.allowances.map((a) => ({ bench: "free_allowance" as const, ...a })),
  ];
}

function amount(a: Allowance): string {
  if (a.per.includes("bytes") || a.what.includes("size")) return `${fixed(a.used / 1e6, 0)} MB`;
  return Math.round(a.used).toLocaleString("en-US");
}

function limit(a: Allowance): string {
  if (a.per.includes("bytes") || a.what.includes("size")) return `${fixed(a.limit / 1e6, 0)} MB`;
  return a.limit.toLocaleString("en-US");
}

export function printCost(lines: CostLine[]): void {
  const total = lines.find((l) => l.bench === "cost_total")!;
  console.log(
    `\nMonthly cost of the default configuration, 30 days, prices as of ${total.prices_as_of}`,
  );
  console.log(
    table(
      [
        "target",
        "probes",
        "+ confirming",
        "+ outside",
        "tokens in / out",
        "$ per M in / out",
        "$ a month",
      ],
      lines.flatMap((l) =>
        l.bench === "cost_target"
          ? [
              [
                l.id,
                l.probes_month.toLocaleString("en-US"),
                l.confirmation_probes_month.toLocaleString("en-US"),
                l.outside_probes_month.toLocaleString("en-US"),
                `${l.input_tokens} / ${l.output_tokens}`,
                `${l.input_usd_per_mtok} / ${l.output_usd_per_mtok}`,
                fixed(l.usd_month ?? 0),
              ],
            ]
          : [],
      ),
    ),
  );
  const verdict = total.over_budget ? "OVER the budget" : "within the budget";
  console.log(
    `total: $${fixed(total.usd_month)} a month for ${total.probes_month.toLocaleString("en-US")} ` +
      `probes on cadence, ${total.confirmation_probes_month.toLocaleString("en-US")} ` +
      `confirming failures (expected at ${fixed(total.assumed_failure_rate * 100, 1)} % of ` +
      `probes failing) and ${total.outside_probes_month.toLocaleString("en-US")} from outside ` +
      `vantages; budget $${total.budget_usd_month}: ${verdict}. Cloudflare (Workers ` +
      "Free) and Supabase (Free) add $0 while every allowance below fits.",
  );
  const runner = total.outside_runner;
  console.log(
    `outside vantage's GitHub Actions: ${runner.billed_minutes_month.toLocaleString("en-US")} ` +
      `one-minute jobs a month, from a ${runner.repository} repository: ` +
      `$${fixed(runner.usd_month)} (from a private one on GitHub Free, 2,000 minutes ` +
      `included: $${fixed(runner.private_usd_month)}).`,
  );
  console.log("\nFree allowances (the core's estimate from the configuration)");
  console.log(
    table(
      ["service", "what", "per", "used", "limit", "share", "fits", "note"],
      lines.flatMap((l) =>
        l.bench === "free_allowance"
          ? [
              [
                l.service,
                l.what,
                l.per,
                amount(l),
                limit(l),
                `${fixed(100 * l.share, 1)} %`,
                l.fits ? "yes" : "NO",
                l.note,
              ],
            ]
          : [],
      ),
    ),
  );
}
