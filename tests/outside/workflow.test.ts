// The GitHub Actions workflow that runs the outside vantage, parsed as GitHub would read it
// (PyYAML, which scripts/setup installs as python3-yaml), and the script that names its
// vantage after the runner's region.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { before, describe, test } from "node:test";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import type { Core } from "../../worker-shim/src/core.ts";
import { vantageProblem } from "../../worker-shim/src/outside.ts";
import { loadTestCore } from "../shim/support.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const WORKFLOW = path.join(ROOT, ".github/workflows/outside-vantage.yml");
const VANTAGE_SCRIPT = path.join(ROOT, "scripts/lib/gha-vantage");
const STORE_SECRETS = [
  "SUPABASE_URL",
  "SUPABASE_SERVICE_ROLE_KEY",
  "CLOUDFLARE_ACCOUNT_ID",
  "CLOUDFLARE_D1_DATABASE_ID",
  "CLOUDFLARE_API_TOKEN",
];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: { schedule: Array<{ cron: string }> };
  concurrency: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, { "timeout-minutes": number; env: Record<string, string>; steps: Step[] }>;
}

function parseWorkflow(): Workflow {
  const script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))";
  const json = execFileSync("python3", ["-c", script], { input: readFileSync(WORKFLOW) });
  const parsed = JSON.parse(json.toString()) as Record<string, unknown>;
  // YAML 1.1, which PyYAML reads, takes a bare `on` for true; GitHub reads it as the key "on".
  const on = parsed.on ?? parsed.true;
  return { ...parsed, on } as Workflow;
}

let workflow: Workflow;
let core: Core;

before(async () => {
  workflow = parseWorkflow();
  core = await loadTestCore();
});

/** The secret names the shipped targets authenticate with, as the core builds their requests. */
function providerSecretNames(): string[] {
  const json = JSON.stringify(defaultConfig);
  const names = defaultConfig.targets.map((t) => {
    const answer = core.buildRequest(json, `${t.provider}/${t.model}`);
    assert.ok(answer.ok, JSON.stringify(answer));
    return answer.request.auth.secret_name;
  });
  return [...new Set(names)];
}

describe("the outside vantage workflow", () => {
  test("runs every 5 minutes, the finest schedule GitHub allows", () => {
    assert.deepEqual(
      workflow.on.schedule.map((s) => s.cron),
      ["*/5 * * * *"],
    );
  });

  test("never overlaps itself: one concurrency group that waits rather than cancels", () => {
    assert.equal(typeof workflow.concurrency.group, "string");
    assert.ok(workflow.concurrency.group.length > 0);
    assert.equal(workflow.concurrency["cancel-in-progress"], false);
  });

  test("every job has a timeout under the schedule's period plus a build", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const minutes = job["timeout-minutes"];
      assert.ok(Number.isInteger(minutes) && minutes > 0 && minutes <= 15, `${name}: ${minutes}`);
    }
  });

  test("names as secrets every provider key the targets use and every store credential", () => {
    const env = workflow.jobs.probe!.env;
    for (const name of [...providerSecretNames(), ...STORE_SECRETS]) {
      assert.equal(env[name], `\${{ secrets.${name} }}`, name);
    }
  });

  test("keeps secrets out of command lines: they reach the run only as environment", () => {
    for (const step of workflow.jobs.probe!.steps) {
      assert.ok(!step.run?.includes("secrets."), step.name ?? step.run);
    }
  });

  test("labels the run gha-<runner region> and runs the entry point through check-once", () => {
    const runs = workflow.jobs.probe!.steps.flatMap((s) => (s.run ? [s.run] : []));
    assert.ok(runs.some((r) => r.includes('scripts/lib/gha-vantage >> "$GITHUB_ENV"')));
    assert.ok(runs.at(-1)!.includes("scripts/check-once"));
  });

  test("the README documents every secret and variable the workflow reads", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("## Outside vantage points");
    assert.ok(start >= 0, "README has no section on outside vantage points");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    assert.match(section, /scheduled runs are often late/);
    const env = { ...workflow.jobs.probe!.env };
    for (const step of workflow.jobs.probe!.steps) Object.assign(env, step.env ?? {});
    for (const [name, value] of Object.entries(env)) {
      assert.match(value, /^\$\{\{ (secrets|vars)\.[A-Z0-9_]+ \}\}$/, name);
      assert.ok(section.includes(`\`${name}\``), `README does not document ${name}`);
    }
  });
});

const execFileAsync = promisify(execFile);

async function vantageLine(env: Record<string, string>): Promise<string> {
  const { stdout } = await execFileAsync(VANTAGE_SCRIPT, [], {
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return stdout.trim();
}

/** A stand-in for Azure's instance metadata service, answering `location` to Metadata: true. */
async function metadataService(location: string) {
  const server = http.createServer((req, res) => {
    const asked = req.headers.metadata === "true" && req.url?.includes("compute/location");
    res.writeHead(asked ? 200 : 400, { "content-type": "text/plain" });
    res.end(asked ? location : "Bad request");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/metadata/instance/compute/location?format=text`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("the runner's vantage name", () => {
  test("is gha- and the region Azure's metadata service names, made a vantage name", async () => {
    const service = await metadataService("EastUS2");
    try {
      const line = await vantageLine({ HEYHI_IMDS_URL: service.url });
      assert.equal(line, "HEYHI_VANTAGE=gha-eastus2");
      assert.equal(vantageProblem(line.split("=")[1]!), null);
    } finally {
      await service.close();
    }
  });

  test("is gha-unknown where no metadata service answers", async () => {
    const service = await metadataService("eastus");
    await service.close();
    assert.equal(await vantageLine({ HEYHI_IMDS_URL: service.url }), "HEYHI_VANTAGE=gha-unknown");
  });

  test("is the one given in HEYHI_VANTAGE, when a repository variable sets it", async () => {
    assert.equal(await vantageLine({ HEYHI_VANTAGE: "gha-my-pool" }), "HEYHI_VANTAGE=gha-my-pool");
  });
});
