// settings.ts: what a deployment's variables turn into, and how a bad one is refused at
// start-up with the name of what to fix.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { Core } from "../../worker-shim/src/core.ts";
import { warnAboutCost } from "../../worker-shim/src/cost.ts";
import { secretRedactor } from "../../worker-shim/src/redact.ts";
import { senderOf } from "../../worker-shim/src/notify/channels.ts";
import { ConfigurationError, loadSettings, type Env } from "../../worker-shim/src/settings.ts";
import { captureLog, loadTestCore, plannedProbes, probeConfig } from "./support.ts";

// A binding that is present but must not be used while settings load.
const DB = {
  prepare() {
    throw new Error("loadSettings must not touch the database");
  },
} as unknown as D1Database;

const ONE_TARGET = JSON.stringify({ targets: [{ provider: "openai", model: "gpt-6-luna" }] });

let core: Core;

before(async () => {
  core = await loadTestCore();
});

/** The ConfigurationError that loading `env` throws; fails the test if none is thrown. */
function refusal(env: Env): ConfigurationError {
  try {
    loadSettings(core, env);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, `threw ${String(error)}`);
    return error;
  }
  assert.fail("loadSettings accepted the environment");
}

describe("loadSettings refuses a bad HEYHI_CONFIG", () => {
  for (const origin of [undefined, "http://127.0.0.1:9100"]) {
    test(`bad JSON names HEYHI_CONFIG (PROVIDER_ORIGIN ${origin ?? "unset"})`, () => {
      const error = refusal({ DB, HEYHI_CONFIG: "{targets: [", PROVIDER_ORIGIN: origin });
      assert.match(error.message, /^HEYHI_CONFIG: not valid JSON/);
      assert.deepEqual(
        error.errors.map((e) => e.field),
        ["HEYHI_CONFIG"],
      );
    });
  }

  test("a JSON array instead of an object names HEYHI_CONFIG", () => {
    const error = refusal({ DB, HEYHI_CONFIG: "[]" });
    assert.equal(error.message, "HEYHI_CONFIG: must be a JSON object");
  });

  test("a configuration whose minute exceeds the Free plan is refused with the excess", () => {
    const targets = Array.from({ length: 50 }, (_, i) => ({
      provider: "openai",
      model: `m${i}`,
      cadence_min: 1,
    }));
    const error = refusal({ DB, HEYHI_CONFIG: JSON.stringify({ regions: ["enam"], targets }) });
    const region = error.errors.find((e) => e.field === "targets");
    assert.match(
      region?.message ?? "",
      /^each region's object would make 52 subrequests in a minute, 2 over the Workers Free plan's 50 \(probes due at once in the busiest minute: 50;/,
    );
    assert.match(
      region?.message ?? "",
      /set alerting\.confirm_min to 0 so that cadence_min spreads them/,
    );
  });

  test("the default configuration's budget is loaded with it", () => {
    const settings = loadSettings(core, { DB });
    assert.deepEqual(settings.config.regions, ["enam", "weur", "apac"]);
    assert.ok(settings.budget.scheduled.subrequests <= settings.budget.limits.subrequests);
    assert.equal(settings.budget.caps.backlog_max_items, 2000);
  });

  test("a cadence the core does not allow names the target's cadence_min", () => {
    const config = { targets: [{ provider: "openai", model: "gpt-6-luna", cadence_min: 7 }] };
    const error = refusal({ DB, HEYHI_CONFIG: JSON.stringify(config) });
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ["targets[0].cadence_min"],
    );
    assert.match(error.message, /^targets\[0\]\.cadence_min: must be one of 1, 2, 5, 10, 15/);
  });

  test("every bad field is named, not just the first", () => {
    const config = {
      defaults: { cadence_min: 3 },
      targets: [{ provider: "openai", model: "gpt-6-luna", timeout_ms: 5 }],
    };
    const error = refusal({ DB, HEYHI_CONFIG: JSON.stringify(config) });
    const fields = error.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ["defaults.cadence_min", "targets[0].timeout_ms"]);
  });
});

describe("loadSettings applies PROVIDER_ORIGIN", () => {
  test("every planned probe goes to PROVIDER_ORIGIN instead of the provider", () => {
    const settings = loadSettings(core, { DB, PROVIDER_ORIGIN: "http://127.0.0.1:9100/" });
    assert.equal(settings.config.provider_origin, "http://127.0.0.1:9100");
    const due = plannedProbes(core, settings.configJson);
    assert.ok(due.length > 0);
    for (const probe of due) assert.match(probe.request.url, /^http:\/\/127\.0\.0\.1:9100\//);
  });

  test("PROVIDER_ORIGIN wins over the origin written in HEYHI_CONFIG", () => {
    const HEYHI_CONFIG = probeConfig("http://127.0.0.1:1");
    const settings = loadSettings(core, { DB, HEYHI_CONFIG, PROVIDER_ORIGIN: "https://e.test" });
    assert.equal(settings.config.provider_origin, "https://e.test");
  });

  test("without PROVIDER_ORIGIN the probes go to the providers themselves", () => {
    const settings = loadSettings(core, { DB });
    assert.equal(settings.config.provider_origin, "");
    const urls = plannedProbes(core, settings.configJson).map((p) => new URL(p.request.url).host);
    assert.ok(urls.every((host) => host.startsWith("api.") || host.includes("googleapis")));
  });

  test("a PROVIDER_ORIGIN that is not http(s) is refused by name", () => {
    const error = refusal({ DB, PROVIDER_ORIGIN: "ftp://mirror.test" });
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ["provider_origin"],
    );
  });
});

describe("loadSettings chooses the store", () => {
  test("postgrest without SUPABASE_URL names the missing variable", () => {
    const env = { HEYHI_STORE: "postgrest", SUPABASE_SERVICE_ROLE_KEY: "service-key-123" };
    const error = refusal(env);
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ["SUPABASE_URL"],
    );
    assert.match(error.message, /^SUPABASE_URL: /);
  });

  test("postgrest without its key names the missing secret too", () => {
    const error = refusal({ HEYHI_STORE: "postgrest" });
    const fields = error.errors.map((e) => e.field);
    assert.deepEqual(fields, ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"]);
  });

  test("an unknown HEYHI_STORE is refused and quoted back", () => {
    const error = refusal({ DB, HEYHI_STORE: "sqlite" });
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ["HEYHI_STORE"],
    );
    assert.match(error.message, /"sqlite"/);
  });

  test("d1 without a DB binding names DB", () => {
    const error = refusal({ HEYHI_STORE: "d1", HEYHI_CONFIG: ONE_TARGET });
    assert.deepEqual(
      error.errors.map((e) => e.field),
      ["DB"],
    );
  });

  test("a DB binding alone selects d1, and a complete postgrest setting selects postgrest", () => {
    assert.equal(loadSettings(core, { DB }).store.kind, "d1");
    const env = {
      HEYHI_STORE: "postgrest",
      SUPABASE_URL: "https://ref.supabase.test",
      SUPABASE_SERVICE_ROLE_KEY: "service-key-123",
    };
    assert.equal(loadSettings(core, env).store.kind, "postgrest");
  });
});

test("loadSettings keeps each provider key under its name and every value for redaction", () => {
  const env = { DB, OPENAI_API_KEY: "openai-key-1234", MISTRAL_API_KEY: "mistral-key-5678" };
  const settings = loadSettings(core, env);
  assert.equal(settings.secrets.OPENAI_API_KEY, "openai-key-1234");
  assert.equal(settings.secrets.GEMINI_API_KEY, undefined);
  assert.deepEqual([...settings.secretValues].sort(), ["mistral-key-5678", "openai-key-1234"]);
});

test("a key given twice is refused with the origin override as without it", () => {
  const twice =
    '{"targets":[{"provider":"openai","model":"gpt-6-luna"}],' +
    '"alerting":{"reminder_min":60,"reminder_min":5}}';
  for (const origin of [undefined, "http://127.0.0.1:9100"]) {
    const env = { DB, HEYHI_CONFIG: twice, ...(origin ? { PROVIDER_ORIGIN: origin } : {}) };
    assert.deepEqual(
      refusal(env).errors,
      [
        {
          field: "alerting.reminder_min",
          message: "is given twice: JSON readers disagree on which one counts",
        },
      ],
      String(origin),
    );
  }
});

describe("alert channels", () => {
  const base = { DB: {} as D1Database };

  test("each configured channel is loaded and its secrets are known to the redactor", async () => {
    const core = await loadTestCore();
    const settings = loadSettings(core, {
      ...base,
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/secretpart123",
      ALERT_WEBHOOK_URL: "https://alerts.example.com/heyhi",
      ALERT_WEBHOOK_SECRET: "hmac-secret-456",
      EMAIL_API_KEY: "re_key_789abcdef",
      EMAIL_FROM: "heyhi@example.com",
      EMAIL_TO: "ops@example.com, oncall@example.com",
    });
    assert.deepEqual(
      settings.channels.map((c) => c.name),
      ["slack", "webhook", "email"],
    );
    assert.ok(
      settings.secretValues.includes("https://hooks.slack.com/services/T0/B0/secretpart123"),
    );
    assert.ok(settings.secretValues.includes("hmac-secret-456"));
  });

  test("a webhook URL's path, query and token are secrets on their own", async () => {
    const core = await loadTestCore();
    const settings = loadSettings(core, {
      ...base,
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/secretpart123",
      ALERT_WEBHOOK_URL:
        "https://user:hookpass99@alerts.example.com/hook?token=webhooksecret987654",
    });
    const redact = secretRedactor(settings.secretValues);
    const echoes = [
      "Cannot POST /hook?token=webhooksecret987654",
      "bad token webhooksecret987654",
      "no such path /services/T0/B0/secretpart123",
      "password hookpass99 refused",
      "https://hooks.slack.com/services/T0/B0/secretpart123",
    ];
    for (const echo of echoes) {
      const out = redact(echo);
      assert.match(out, /\[redacted\]/, echo);
      assert.ok(!/webhooksecret|secretpart|hookpass/.test(out), out);
    }
    assert.equal(redact("an ordinary /hook word"), "an ordinary /hook word");
  });

  test("a sender may carry a display name, as the email APIs document it", async () => {
    const core = await loadTestCore();
    const email = { EMAIL_API_KEY: "re_key_789abcdef", EMAIL_TO: "ops@example.com" };
    const named = loadSettings(core, {
      ...base,
      ...email,
      EMAIL_FROM: "HeyHi <heyhi@example.com>",
    });
    const [channel] = named.channels;
    assert.ok(channel?.kind === "email");
    assert.equal(channel.from, "HeyHi <heyhi@example.com>");
    const quoted = loadSettings(core, {
      ...base,
      ...email,
      EMAIL_FROM: '"Acme, Inc" <ops@acme.com>',
    });
    assert.equal(quoted.channels[0]?.name, "email");
    assert.deepEqual(senderOf('"Acme, Inc" <ops@acme.com>'), {
      email: "ops@acme.com",
      name: "Acme, Inc",
    });
    for (const bad of ["HeyHi", "HeyHi <not-an-address>", "<a@b.co> trailing", "a@b.co, c@d.co"]) {
      const refused = loadSettings(core, { ...base, ...email, EMAIL_FROM: bad });
      assert.deepEqual(refused.channels, [], bad);
      assert.deepEqual(
        refused.refusedChannels,
        [{ field: "EMAIL_FROM", message: 'must be the sender\'s address, or "Name <address>"' }],
        bad,
      );
    }
  });

  test("plain http is taken on loopback only, IPv4 and IPv6 alike", async () => {
    const core = await loadTestCore();
    const slack = (url: string) =>
      loadSettings(core, { ...base, SLACK_WEBHOOK_URL: url }).channels.map((c) => c.name);
    for (const host of ["127.0.0.1:8080", "127.1.2.3", "localhost:9", "[::1]:8080"]) {
      assert.deepEqual(slack(`http://${host}/services/T/B/x`), ["slack"], host);
    }
    for (const host of ["10.0.0.1", "hooks.example.com", "[::2]", "127.0.0.1.example.com"]) {
      assert.deepEqual(slack(`http://${host}/services/T/B/x`), [], host);
    }
  });

  test("a refused channel setting leaves that channel out, and the others in", async () => {
    const core = await loadTestCore();
    const slackUrl = "http://hooks.example.com/services/T0/B0/secretpart123";
    const settings = loadSettings(core, {
      ...base,
      SLACK_WEBHOOK_URL: slackUrl,
      ALERT_WEBHOOK_URL: "https://alerts.example.com/heyhi",
      EMAIL_API_KEY: "k",
      EMAIL_TO: "not-an-address",
    });
    assert.deepEqual(
      settings.channels.map((c) => c.name),
      ["webhook"],
    );
    assert.deepEqual(
      settings.refusedChannels.map((e) => `${e.field}: ${e.message}`),
      [
        "SLACK_WEBHOOK_URL: must be an https URL",
        'EMAIL_FROM: must be the sender\'s address, or "Name <address>"',
        "EMAIL_TO: must be one or more addresses, comma-separated",
      ],
    );
    // The refusal names the setting, never its value, and the value stays a known secret.
    assert.ok(!JSON.stringify(settings.refusedChannels).includes("secretpart123"));
    assert.ok(settings.secretValues.includes(slackUrl));
    const unlinked = loadSettings(core, { ...base, BOARD_URL: "heyhi.example.workers.dev" });
    assert.equal(unlinked.boardUrl, undefined);
    assert.deepEqual(unlinked.refusedChannels, [
      { field: "BOARD_URL", message: "must be an http or https URL" },
    ]);
    const linked = loadSettings(core, { ...base, BOARD_URL: "https://heyhi.example.workers.dev" });
    assert.deepEqual(
      [linked.boardUrl, linked.refusedChannels],
      ["https://heyhi.example.workers.dev", []],
    );
    const none = loadSettings(core, base);
    assert.deepEqual([none.channels, none.refusedChannels], [[], []]);
    // A setting of a channel whose other settings are missing is said, not ignored.
    const stray = (env: Record<string, string>) =>
      loadSettings(core, { ...base, ...env }).refusedChannels.map((e) => e.field);
    assert.deepEqual(stray({ ALERT_WEBHOOK_SECRET: "hmac-secret-456" }), ["ALERT_WEBHOOK_SECRET"]);
    assert.deepEqual(stray({ EMAIL_FROM: "heyhi@example.com" }), ["EMAIL_TO", "EMAIL_API_KEY"]);
  });

  test("email goes through the Cloudflare binding when the configuration says so", async () => {
    const core = await loadTestCore();
    const addresses = { EMAIL_FROM: "heyhi@example.com", EMAIL_TO: "ops@example.com" };
    const binding = { send: async () => undefined };
    const settings = loadSettings(core, {
      ...base,
      ...addresses,
      EMAIL_TRANSPORT: "cloudflare",
      EMAIL: binding,
    });
    const [channel] = settings.channels;
    assert.equal(channel?.kind, "email");
    assert.ok(channel?.kind === "email" && channel.transport === "cloudflare");
    assert.equal(channel.binding, binding);
    const refusal = (env: Record<string, string>) =>
      loadSettings(core, { ...base, ...addresses, ...env }).refusedChannels.map(
        (e) => `${e.field}: ${e.message}`,
      );
    assert.deepEqual(refusal({ EMAIL_TRANSPORT: "cloudflare" }), [
      'EMAIL: EMAIL_TRANSPORT "cloudflare" needs a send_email binding named EMAIL',
    ]);
    assert.deepEqual(refusal({ EMAIL_TRANSPORT: "smtp" }), [
      'EMAIL_TRANSPORT: must be "http" or "cloudflare"',
    ]);
  });
});

describe("the configuration's cost, said at start-up", () => {
  const priced = (budget: number, cadence = 1) =>
    JSON.stringify({
      regions: ["enam", "weur"],
      targets: [{ provider: "openai", model: "gpt-6-luna", cadence_min: cadence, max_tokens: 16 }],
      cost: {
        budget_usd_month: budget,
        prices_as_of: "2026-12-03",
        prices: [
          {
            provider: "openai",
            model: "gpt-6-luna",
            input_usd_per_mtok: 10,
            output_usd_per_mtok: 40,
          },
        ],
      },
    });

  test("an outside vantage in a private repository is priced and warned of at start-up", () => {
    const config = JSON.parse(priced(70));
    config.cost.outside_runs_per_day = 288;
    config.cost.outside_repository = "private";
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: JSON.stringify(config) });
    // 8 640 one-minute jobs a month, 2 000 of them free, the rest at $0.006.
    assert.equal(settings.cost.outside_runner.billed_minutes_month, 8640);
    assert.equal(settings.cost.outside_runner.usd_month.toFixed(2), "39.84");
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    const [over, minutes, ...rest] = logged.events();
    assert.equal(rest.length, 0);
    assert.equal(over?.event, "cost_over_budget");
    assert.equal(over?.outside_runner_usd_month, 39.84);
    assert.match(String(over?.fix), /GitHub Actions minutes cost \$39\.84 a month/);
    assert.equal(minutes?.event, "free_allowance_exceeded");
    assert.equal(minutes?.service, "github_actions");
    assert.equal(minutes?.used, 8640);
    assert.equal(minutes?.limit, 2000);
    assert.match(String(minutes?.note), /66 runs a day fit/);
  });

  test("the default configuration costs under its 5-dollar budget and warns of nothing", () => {
    const settings = loadSettings(core, { DB });
    assert.equal(settings.cost.budget_usd_month, 5);
    assert.ok(settings.cost.usd_month > 1 && settings.cost.usd_month < 5);
    assert.equal(settings.cost.over_budget, false);
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    assert.deepEqual(logged.events(), []);
  });

  test("a month over budget is one warning naming the costliest target and what to change", () => {
    // 86 400 probes a month × (8 × $10 + 16 × $40) per million tokens: $62.21.
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: priced(50) });
    assert.equal(settings.cost.usd_month.toFixed(2), "62.21");
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    const [warning, ...rest] = logged.events();
    assert.equal(rest.length, 0);
    assert.equal(warning?.event, "cost_over_budget");
    assert.equal(warning?.usd_month, 62.21);
    assert.equal(warning?.budget_usd_month, 50);
    assert.deepEqual(warning?.costliest, [{ id: "openai/gpt-6-luna", usd_month: 62.21 }]);
    assert.match(String(warning?.fix), /cadence_min, a smaller max_tokens, or disable them/);
    assert.doesNotMatch(String(warning?.fix), /outside/);

    // At one output token there is no smaller max_tokens to suggest.
    const oneToken = JSON.parse(priced(1));
    oneToken.targets[0].max_tokens = 1;
    const least = loadSettings(core, { DB, HEYHI_CONFIG: JSON.stringify(oneToken) });
    const leastLog = captureLog([]);
    warnAboutCost(least.cost, leastLog.log, least.store.kind);
    assert.match(String(leastLog.events()[0]?.fix), /a longer cadence_min, or disable them/);

    // With an outside vantage priced in, the advice names its runs too.
    const config = JSON.parse(priced(50));
    config.cost.outside_runs_per_day = 288;
    const outside = loadSettings(core, { DB, HEYHI_CONFIG: JSON.stringify(config) });
    const told = captureLog([]);
    warnAboutCost(outside.cost, told.log, outside.store.kind);
    assert.match(String(told.events()[0]?.fix), /cost\.outside_runs_per_day: 288/);

    // No word of GitHub's minutes while the workflow's repository is public.
    assert.equal(told.events()[0]?.outside_runner_usd_month, undefined);
    assert.doesNotMatch(String(told.events()[0]?.fix), /GitHub Actions/);

    const within = loadSettings(core, { DB, HEYHI_CONFIG: priced(70) });
    const quiet = captureLog([]);
    warnAboutCost(within.cost, quiet.log, within.store.kind);
    assert.deepEqual(quiet.events(), []);
  });

  test("a target missing from the price table is named", () => {
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: ONE_TARGET });
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    assert.deepEqual(
      logged.events().map((e) => [e.event, e.targets]),
      [["cost_unpriced", ["openai/gpt-6-luna"]]],
    );
    assert.match(String(logged.events()[0]?.fix), /add a cost\.prices row for each/);
  });

  test("with targets unpriced, a budget is said to be unjudged, not met", () => {
    const config = { ...JSON.parse(ONE_TARGET), cost: { budget_usd_month: 0.01, prices: [] } };
    config.cost.prices_as_of = "2026-12-03";
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: JSON.stringify(config) });
    assert.equal(settings.cost.over_budget, false);
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    const [unpriced, ...rest] = logged.events();
    assert.equal(rest.length, 0);
    assert.equal(unpriced?.event, "cost_unpriced");
    assert.equal(unpriced?.usd_month_priced, 0);
    assert.equal(
      unpriced?.note,
      "the month's $0.00 leaves these targets out, so the budget of $0.01 cannot be judged",
    );
  });

  test("with targets unpriced and the rest over budget, the budget is said to be exceeded", () => {
    const config = JSON.parse(priced(1));
    config.targets.push({ provider: "openai", model: "gpt-6-unlisted", cadence_min: 5 });
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: JSON.stringify(config) });
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    const events = new Map(logged.events().map((e) => [e.event, e]));
    assert.ok(events.has("cost_over_budget"));
    assert.match(
      String(events.get("cost_unpriced")?.note),
      /leaves these targets out, and is over the budget of \$1 without them$/,
    );
  });

  test("a free allowance the configuration exceeds is named with its figures", () => {
    // 40 targets every 5 minutes from 6 regions write 69 120 probes a day, two rows each: more
    // than D1's 100 000 rows a day.
    const targets = Array.from({ length: 40 }, (_, i) => ({
      provider: "openai",
      model: `m${i}`,
      cadence_min: 5,
    }));
    const regions = ["enam", "weur", "apac", "wnam", "eeur", "oc"];
    const configJson = JSON.stringify({ regions, targets, alerting: { confirm_min: 0 } });
    const settings = loadSettings(core, { DB, HEYHI_CONFIG: configJson });
    const logged = captureLog([]);
    warnAboutCost(settings.cost, logged.log, settings.store.kind);
    const exceeded = logged.events().filter((e) => e.event === "free_allowance_exceeded");
    assert.ok(
      exceeded.some((e) => e.service === "d1" && e.what === "rows written" && e.used === 138_240),
      JSON.stringify(exceeded),
    );
    for (const e of exceeded) assert.ok(Number(e.used) > Number(e.limit));

    // A deployment writing to Supabase hears nothing of D1's allowances, and one with no
    // store of neither's.
    const elsewhere = captureLog([]);
    warnAboutCost(settings.cost, elsewhere.log, "postgrest");
    const named = elsewhere.events().map((e) => e.service);
    assert.ok(!named.includes("d1"), JSON.stringify(named));
    const nowhere = captureLog([]);
    warnAboutCost(settings.cost, nowhere.log, null);
    assert.ok(
      nowhere.events().every((e) => e.service !== "d1" && e.service !== "supabase"),
      JSON.stringify(nowhere.events()),
    );
  });
});
