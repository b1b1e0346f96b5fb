#include "alerting.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "config.h"
#include "schedule.h"
#include "time-format.h"
#include "vantage.h"

using namespace heyhi;

namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kStart = 1796300040000;  // 2026-12-03T12:14:00Z

Config config_with(std::string_view regions, std::string_view extra = "") {
  std::string json = std::string(R"({"regions":)") + std::string(regions) +
                     R"(,"targets":[{"provider":"openai","model":"m","cadence_min":1}])" +
                     std::string(extra) + "}";
  auto parsed = parse_config(json);
  REQUIRE(parsed.ok());
  return parsed.value();
}

// One probe result at a minute from kStart: "ok", an error type, or "ok:<latency>".
Row probe(int minute, std::string_view outcome, std::string region = "enam") {
  Row r;
  r.scheduled_at = iso_utc_minute(kStart + minute * kMinute);
  r.ts = iso_utc_millis(kStart + minute * kMinute + 500);
  r.region = std::move(region);
  r.provider = "openai";
  r.model = "m";
  r.ok = outcome.substr(0, 2) == "ok";
  r.latency_ms = 300;
  if (r.ok && outcome.size() > 3) r.latency_ms = std::stoll(std::string(outcome.substr(3)));
  if (!r.ok) r.error_type = error_type_from_name(outcome);
  return r;
}

// Evaluates after each minute of `per_minute` outcomes, carrying open alerts forward as the
// store would, and returns every action in order.
struct Replay {
  Config config;
  std::vector<Row> rows;
  std::vector<OpenAlert> open;
  std::map<std::string, std::string> official;
  std::vector<AlertAction> actions;
  std::vector<int> action_minutes;

  void minute(int m, const std::vector<Row>& probes) {
    rows.insert(rows.end(), probes.begin(), probes.end());
    EvaluationInput input{kStart + m * kMinute, rows, open, official};
    for (AlertAction& a : evaluate(config, input)) {
      apply(a, m);
      actions.push_back(a);
      action_minutes.push_back(m);
    }
  }

  void apply(const AlertAction& a, int m) {
    int64_t now = kStart + m * kMinute;
    auto same = [&](const OpenAlert& o) {
      return o.rule == a.alert.rule && o.scope == a.alert.scope;
    };
    if (a.kind == ActionKind::open) {
      std::optional<int64_t> notified;
      if (a.alert.last_notified_at) notified = now;
      open.push_back({a.alert.rule, a.alert.scope, now, notified, a.alert.verdict});
    }
    if (a.kind == ActionKind::remind) {
      for (OpenAlert& o : open) {
        if (same(o)) o.last_notified_ms = now;
      }
    }
    if (a.kind == ActionKind::resolve)
      open.erase(std::remove_if(open.begin(), open.end(), same), open.end());
  }

  int count(ActionKind kind, std::string_view rule) const {
    int n = 0;
    for (const AlertAction& a : actions) n += a.kind == kind && a.alert.rule == rule;
    return n;
  }
};

void sequence(Replay& replay, const std::vector<std::string>& outcomes, int every = 2) {
  for (size_t i = 0; i < outcomes.size(); ++i) {
    int m = static_cast<int>(i) * every;
    replay.minute(m, {probe(m, outcomes[i])});
    for (int quiet = 1; quiet < every; ++quiet) replay.minute(m + quiet, {});
  }
}

}  // namespace

TEST_SUITE("alerting") {
  TEST_CASE("a single timeout among successes sends nothing") {
    Replay replay{config_with(R"(["enam"])")};
    sequence(replay, {"timeout", "ok", "ok", "ok", "ok"});
    CHECK(replay.actions.empty());
  }

  TEST_CASE("alternating 200 and 503 on one target sends nothing") {
    Replay replay{config_with(R"(["enam"])")};
    sequence(replay, {"ok", "overloaded", "ok", "overloaded", "ok"});
    CHECK(replay.actions.empty());
  }

  TEST_CASE("a full outage from every region alerts within two evaluation runs") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    for (int m = 0; m < 2; ++m) {
      replay.minute(m, {probe(m, "overloaded", "enam"), probe(m, "overloaded", "weur"),
                        probe(m, "overloaded", "apac")});
    }
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.action_minutes.front() <= 1);
    const Alert& alert = replay.actions.front().alert;
    CHECK(alert.verdict == "provider");
    CHECK(alert.scope == "openai/m");
    CHECK(alert.measured.regions_failing == 3);
    CHECK(alert.title == "OpenAI m: 100% of probes failing");
    CHECK(replay.actions.front().notify);
  }

  TEST_CASE("without confirmation an outage still alerts on the probes its cadence gives") {
    auto parsed = parse_config(R"({"regions":["enam"],"alerting":{"confirm_min":0},
      "targets":[{"provider":"openai","model":"m","cadence_min":5}]})");
    REQUIRE(parsed.ok());
    Replay replay{parsed.value()};
    // Two slots fit a 10-minute window at a 5-minute cadence: two failures are the whole window.
    sequence(replay, {"ok", "overloaded", "overloaded", "overloaded"}, 5);
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.action_minutes.front() == 10);
  }

  TEST_CASE("an outage seen by the regions that probed alerts while another region is silent") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    for (int m = 0; m < 3; ++m) {
      replay.minute(m, {probe(m, "overloaded", "enam"), probe(m, "overloaded", "weur")});
    }
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.action_minutes.front() == 2);
  }

  TEST_CASE("an outage resolves once, after a clean stretch, and not before") {
    Replay replay{config_with(R"(["enam","weur"])")};
    for (int m = 0; m < 5; ++m) {
      replay.minute(m, {probe(m, "server_error", "enam"), probe(m, "server_error", "weur")});
    }
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    for (int m = 5; m < 30; ++m) {
      // One more failure at minute 8 restarts the clean stretch.
      std::string outcome = m == 8 ? "server_error" : "ok";
      replay.minute(m, {probe(m, outcome, "enam"), probe(m, "ok", "weur")});
    }
    CHECK(replay.count(ActionKind::open, "provider_errors") == 1);
    REQUIRE(replay.count(ActionKind::resolve, "provider_errors") == 1);
    int resolved_at = replay.action_minutes.back();
    CHECK(resolved_at == 18);  // minute 8's failure, plus the 10-minute clean stretch
    CHECK(replay.actions.back().alert.resolved_at == iso_utc_minute(kStart + 18 * kMinute));
    CHECK(replay.actions.back().alert.title == "OpenAI m: recovered (provider_errors)");
  }

  TEST_CASE("an alert that stays open is sent again at the reminder interval") {
    Replay replay{config_with(R"(["enam"])", R"(,"alerting":{"reminder_min":30})")};
    for (int m = 0; m <= 65; ++m) replay.minute(m, {probe(m, "timeout")});
    CHECK(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.count(ActionKind::remind, "provider_errors") == 2);
  }

  TEST_CASE("a resolution repeats the verdict its alert opened with") {
    Replay replay{config_with(R"(["enam"])")};
    for (int m = 0; m < 10; ++m) replay.minute(m, {probe(m, "connect_error")});
    for (int m = 10; m < 30; ++m) replay.minute(m, {probe(m, "ok")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    REQUIRE(replay.count(ActionKind::resolve, "provider_errors") == 1);
    CHECK(replay.actions.front().alert.verdict == "network");
    CHECK(replay.actions.back().alert.verdict == "network");
  }

  TEST_CASE("no reminder goes out once the failures stop, while the clean stretch runs") {
    // The interval comes round two minutes after the last failure, with the rule's window
    // still full of failures: the newest probes are clean, so there is no news to send.
    for (std::string_view slow : {"timeout", "ok:9000"}) {
      Replay replay{config_with(R"(["enam"])", R"(,"alerting":{"reminder_min":30})")};
      std::string rule = slow == "timeout" ? "provider_errors" : "latency";
      int m = 0;
      for (; replay.count(ActionKind::open, rule) == 0; ++m) replay.minute(m, {probe(m, slow)});
      int opened = m - 1;
      for (; m < opened + 28; ++m) replay.minute(m, {probe(m, slow)});
      for (; m <= opened + 45; ++m) replay.minute(m, {probe(m, "ok")});
      CHECK_MESSAGE(replay.count(ActionKind::remind, rule) == 0, rule);
      CHECK_MESSAGE(replay.count(ActionKind::resolve, rule) == 1, rule);
    }
  }

  TEST_CASE("a reminder for intermittent failures waits for a minute that fails") {
    Replay replay{config_with(R"(["enam"])", R"(,"alerting":{"reminder_min":30})")};
    int m = 0;
    for (; replay.count(ActionKind::open, "provider_errors") == 0; ++m) {
      replay.minute(m, {probe(m, "timeout")});
    }
    int opened = m - 1;
    // From here, one minute in three fails, and not the one the interval ends on.
    auto outcome = [&](int minute) { return (minute - opened) % 3 == 1 ? "timeout" : "ok"; };
    for (; m <= opened + 33; ++m) replay.minute(m, {probe(m, outcome(m))});
    REQUIRE(replay.count(ActionKind::remind, "provider_errors") == 1);
    CHECK(replay.action_minutes.back() == opened + 31);
  }

  TEST_CASE("an open alert is reminded until it recovers, even once its rule stops firing") {
    // Probed on a 10-minute cadence once open, as the plan does while the alert explains the
    // failures: a window then holds too few probes for the count guards, yet the outage goes on.
    Replay replay{config_with(R"(["enam","weur"])", R"(,"alerting":{"reminder_min":30})")};
    for (int m = 0; m < 3; ++m) {
      replay.minute(m, {probe(m, "overloaded", "enam"), probe(m, "overloaded", "weur")});
    }
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    for (int m = 3; m <= 70; ++m) {
      if (m % 10 == 0) {
        replay.minute(m, {probe(m, "overloaded", "enam"), probe(m, "overloaded", "weur")});
      } else {
        replay.minute(m, {});
      }
    }
    CHECK(replay.count(ActionKind::remind, "provider_errors") == 2);
    CHECK(replay.count(ActionKind::resolve, "provider_errors") == 0);

    // With no probe at all (the regions' objects down, say) there is no news to send.
    Replay silent{config_with(R"(["enam","weur"])", R"(,"alerting":{"reminder_min":30})")};
    for (int m = 0; m < 3; ++m) {
      silent.minute(m, {probe(m, "overloaded", "enam"), probe(m, "overloaded", "weur")});
    }
    for (int m = 3; m <= 70; ++m) silent.minute(m, {});
    CHECK(silent.count(ActionKind::open, "provider_errors") == 1);
    CHECK(silent.count(ActionKind::remind, "provider_errors") == 0);
  }

  TEST_CASE("without confirmation a region that stopped answering is still regional") {
    // 2-minute cadence, confirm_min 0: 12 minutes hold 6 probes of a region, not the 8 in a
    // row the rule asks for with confirmation.
    std::string json = R"({"regions":["enam","weur","apac"],"alerting":{"confirm_min":0},)"
                       R"("targets":[{"provider":"openai","model":"m","cadence_min":2}]})";
    auto parsed = parse_config(json);
    REQUIRE(parsed.ok());
    Replay replay{parsed.value()};
    for (int m = 0; m < 40; m += 2) {
      replay.minute(m, {probe(m, m < 10 ? "ok" : "gateway_error", "apac"), probe(m, "ok", "enam"),
                        probe(m, "ok", "weur")});
      replay.minute(m + 1, {});
    }
    REQUIRE(replay.count(ActionKind::open, "regional") == 1);
    CHECK(replay.actions.front().alert.region == "apac");
    CHECK(replay.action_minutes.front() == 20);  // the sixth failure in a row
  }

  TEST_CASE("one region failing alone is regional, not a provider outage") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    for (int m = 0; m < 10; ++m) {
      replay.minute(
          m, {probe(m, "connect_error", "apac"), probe(m, "ok", "enam"), probe(m, "ok", "weur")});
    }
    CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
    REQUIRE(replay.count(ActionKind::open, "regional") == 1);
    const Alert& alert = replay.actions.front().alert;
    CHECK(alert.scope == "openai/m@apac");
    CHECK(alert.region == "apac");
    CHECK(alert.verdict == "network");
    // Eight in a row: the rule's default, at one probe a minute.
    CHECK(replay.action_minutes.front() == 7);
    CHECK(alert.title == "OpenAI m: failing from apac, fine from enam, weur");
    CHECK(alert.detail ==
          "8 of 8 probes from apac failed in 12 min (connect_error 8) while enam, weur saw 0%");
  }

  TEST_CASE("two regions down beside a healthy third alert as two regional outages") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    for (int m = 0; m < 10; ++m) {
      replay.minute(m, {probe(m, "connect_error", "enam"), probe(m, "server_error", "weur"),
                        probe(m, "ok", "apac")});
    }
    REQUIRE(replay.count(ActionKind::open, "regional") == 2);
    CHECK(replay.actions[0].alert.title == "OpenAI m: failing from enam, fine from apac");
    CHECK(replay.actions[1].alert.title == "OpenAI m: failing from weur, fine from apac");
    CHECK(replay.actions[1].alert.verdict == "provider");
  }

  TEST_CASE("configuration failures alert once with what to fix and never as an outage") {
    Replay replay{config_with(R"(["enam","weur"])")};
    for (int m = 0; m < 20; ++m) {
      Row a = probe(m, "auth", "enam");
      a.detail = "401 invalid_api_key: Incorrect API key provided";
      replay.minute(m, {a, probe(m, "auth", "weur")});
    }
    CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
    CHECK(replay.count(ActionKind::open, "configuration") == 1);
    const Alert& alert = replay.actions.front().alert;
    CHECK(alert.verdict == "ours");
    REQUIRE(alert.fix);
    CHECK(alert.fix->find("API key") != std::string::npos);
    CHECK(alert.title == "OpenAI m: auth on the last 2 probes");
    // Fixed at minute 20: resolved once, after the clean stretch (recovery_min 10).
    for (int m = 20; m < 40; ++m)
      replay.minute(m, {probe(m, "ok", "enam"), probe(m, "ok", "weur")});
    CHECK(replay.count(ActionKind::resolve, "configuration") == 1);
    auto resolved =
        std::find_if(replay.actions.begin(), replay.actions.end(),
                     [](const AlertAction& a) { return a.kind == ActionKind::resolve; });
    REQUIRE(resolved != replay.actions.end());
    CHECK(replay.action_minutes[static_cast<size_t>(resolved - replay.actions.begin())] == 29);
  }

  TEST_CASE("one round whose regions disagree on the key opens nothing, whatever their order") {
    // Two regions refused, one answered, all in the same minute: the order they landed in
    // (their ts) is chance, and must not decide whether a key problem pages.
    for (int succeeding = 0; succeeding < 3; ++succeeding) {
      for (int64_t late_ms : {100, 900}) {
        CAPTURE(succeeding);
        CAPTURE(late_ms);
        Replay replay{config_with(R"(["enam","weur","apac"])")};
        std::vector<Row> round;
        int index = 0;
        for (std::string region : {"enam", "weur", "apac"}) {
          Row r = probe(0, index == succeeding ? "ok" : "auth", region);
          if (index == succeeding) r.ts = iso_utc_millis(kStart + late_ms);
          round.push_back(r);
          ++index;
        }
        replay.minute(0, round);
        for (int m = 1; m < 5; ++m) {
          replay.minute(m,
                        {probe(m, "ok", "enam"), probe(m, "ok", "weur"), probe(m, "ok", "apac")});
        }
        CHECK(replay.count(ActionKind::open, "configuration") == 0);
      }
    }
  }

  TEST_CASE("one round refused by the key in every region is a configuration alert") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    replay.minute(0,
                  {probe(0, "auth", "enam"), probe(0, "auth", "weur"), probe(0, "auth", "apac")});
    REQUIRE(replay.count(ActionKind::open, "configuration") == 1);
    CHECK(replay.actions.front().alert.title == "OpenAI m: auth on the last 3 probes");
  }

  TEST_CASE("a key refused with 429 on every probe is a configuration alert until it clears") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    auto round = [](int m, std::string_view outcome) {
      return std::vector<Row>{probe(m, outcome, "enam"), probe(m, outcome, "weur"),
                              probe(m, outcome, "apac")};
    };
    for (int m = 0; m < 30; ++m) replay.minute(m, round(m, "rate_limited"));
    // Six probes: the second round.
    REQUIRE(replay.count(ActionKind::open, "configuration") == 1);
    CHECK(replay.action_minutes.front() == 1);
    const Alert& alert = replay.actions.front().alert;
    CHECK(alert.verdict == "ours");
    CHECK(alert.title == "OpenAI m: rate_limited on the last 6 probes");
    REQUIRE(alert.fix);
    CHECK(alert.fix->rfind("Give HeyHi an OpenAI key of its own", 0) == 0);
    CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
    CHECK(replay.count(ActionKind::resolve, "configuration") == 0);
    // The limits lift at minute 30: resolved once, after the clean stretch.
    for (int m = 30; m < 50; ++m) replay.minute(m, round(m, "ok"));
    CHECK(replay.count(ActionKind::resolve, "configuration") == 1);
    CHECK(replay.action_minutes.back() == 39);
  }

  TEST_CASE("scattered 429s, or a run shorter than the rule's, open nothing") {
    Config config = config_with(R"(["enam","weur","apac"])");
    Replay scattered{config};
    for (int m = 0; m < 30; ++m) {
      scattered.minute(m, {probe(m, m % 2 ? "rate_limited" : "ok", "enam"), probe(m, "ok", "weur"),
                           probe(m, m % 3 ? "ok" : "rate_limited", "apac")});
    }
    CHECK(scattered.actions.empty());
    Config off = config_with(R"(["enam"])",
                             R"(,"alerting":{"configuration":{"rate_limited_consecutive":0}})");
    Replay never{off};
    for (int m = 0; m < 30; ++m) never.minute(m, {probe(m, "rate_limited")});
    CHECK(never.count(ActionKind::open, "configuration") == 0);
    Replay short_run{config_with(R"(["enam"])")};
    for (int m = 0; m < 30; ++m) short_run.minute(m, {probe(m, m % 6 < 5 ? "rate_limited" : "ok")});
    CHECK(short_run.count(ActionKind::open, "configuration") == 0);
  }

  TEST_CASE("a key that fails every other probe pages once, not on every flap") {
    Replay replay{config_with(R"(["enam"])")};
    for (int m = 0; m < 60; ++m) {
      bool fails = m < 2 || m % 4 < 2;  // two in a row fail, then two succeed
      replay.minute(m, {probe(m, fails ? "auth" : "ok", "enam")});
    }
    CHECK(replay.count(ActionKind::open, "configuration") == 1);
    CHECK(replay.count(ActionKind::resolve, "configuration") == 0);
  }

  TEST_CASE("a slow p95 alerts over the absolute line") {
    Replay replay{config_with(R"(["enam"])")};
    for (int m = 0; m < 10; ++m) replay.minute(m, {probe(m, "ok:6500")});
    CHECK(replay.count(ActionKind::open, "latency") == 1);
    CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
  }

  TEST_CASE("one slow outlier in a window does not open a latency alert") {
    Replay replay{config_with(R"(["enam"])")};
    for (int m = 0; m < 10; ++m) replay.minute(m, {probe(m, m == 6 ? "ok:6500" : "ok:300")});
    CHECK(replay.count(ActionKind::open, "latency") == 0);
  }

  TEST_CASE("scattered failures in one region are not a regional outage") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    for (int m = 0; m < 10; ++m) {
      std::string apac = m % 2 == 0 ? "connect_error" : "ok";
      replay.minute(m, {probe(m, apac, "apac"), probe(m, "ok", "enam"), probe(m, "ok", "weur")});
    }
    CHECK(replay.count(ActionKind::open, "regional") == 0);
  }

  TEST_CASE("latency is judged against the target's own baseline, above a floor") {
    Replay replay{config_with(R"(["enam"])")};
    // A week of history at this hour: p95 about 900 ms.
    for (int day = 1; day <= 7; ++day) {
      for (int k = -10; k < 10; ++k) {
        Row past = probe(k - day * 24 * 60, "ok:900");
        replay.rows.push_back(past);
      }
    }
    for (int m = 0; m < 10; ++m) replay.minute(m, {probe(m, "ok:2400")});
    REQUIRE(replay.count(ActionKind::open, "latency") == 1);
    CHECK(replay.actions.front().alert.measured.baseline_p95_ms == 900);

    Replay fast{config_with(R"(["enam"])")};
    for (int day = 1; day <= 7; ++day) {
      for (int k = -10; k < 10; ++k) fast.rows.push_back(probe(k - day * 24 * 60, "ok:200"));
    }
    // Three times a 200 ms baseline is still under the 2000 ms floor: no alert.
    for (int m = 0; m < 10; ++m) fast.minute(m, {probe(m, "ok:600")});
    CHECK(fast.count(ActionKind::open, "latency") == 0);
  }

  TEST_CASE(
      "failures below the outage line while the status page says operational are a mismatch") {
    // 6 failures in 30 probes over 10 minutes, two in each region: 20 %, not over the outage
    // line, over 10 %.
    auto failing = [](int m, int offset) { return m % 5 == offset ? "overloaded" : "ok"; };
    auto run = [&](Replay& replay) {
      for (int m = 0; m < 10; ++m) {
        replay.minute(m, {probe(m, failing(m, 0), "enam"), probe(m, failing(m, 2), "weur"),
                          probe(m, failing(m, 4), "apac")});
      }
    };
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    replay.official["openai"] = "operational";
    run(replay);
    CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
    REQUIRE(replay.count(ActionKind::open, "official_mismatch") == 1);
    CHECK(replay.actions.front().alert.official_status == "operational");
    CHECK(replay.action_minutes.front() == 9);

    Replay unknown{config_with(R"(["enam","weur","apac"])")};
    run(unknown);
    CHECK(unknown.actions.empty());
  }

  TEST_CASE("bad patches in two regions and a stray timeout in the third are not an outage") {
    Replay replay{config_with(R"(["enam","weur","apac"])")};
    replay.official["openai"] = "operational";
    // 7 of 30 probes fail, over both rate lines, but the third region saw one stray timeout.
    for (int m = 0; m < 10; ++m) {
      replay.minute(m, {probe(m, m % 3 == 0 ? "overloaded" : "ok", "enam"),
                        probe(m, m % 3 == 1 ? "overloaded" : "ok", "weur"),
                        probe(m, m == 5 ? "timeout" : "ok", "apac")});
    }
    CHECK(replay.actions.empty());
  }

  TEST_CASE("an outage under a green status page is one alert that carries the official status") {
    Replay replay{config_with(R"(["enam"])")};
    replay.official["openai"] = "operational";
    for (int m = 0; m < 8; ++m) replay.minute(m, {probe(m, "overloaded")});
    CHECK(replay.count(ActionKind::open, "official_mismatch") == 0);
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.actions.front().alert.official_status == "operational");

    // From three regions after healthy minutes, the second minute of the outage is 6 of 30
    // probes: over the mismatch's 10 %, not over the outage's 20 %. Still one alert, the
    // outage's, a minute later.
    Replay three{config_with(R"(["enam","weur","apac"])")};
    three.official["openai"] = "operational";
    for (int m = 0; m < 30; ++m) {
      std::string outcome = m < 10 ? "ok" : "overloaded";
      three.minute(
          m, {probe(m, outcome, "enam"), probe(m, outcome, "weur"), probe(m, outcome, "apac")});
    }
    CHECK(three.count(ActionKind::open, "official_mismatch") == 0);
    CHECK(three.count(ActionKind::open, "provider_errors") == 1);
  }

  TEST_CASE("maintenance silences notifications but keeps the alert state") {
    Replay replay{config_with(R"(["enam"])",
                              R"(,"alerting":{"maintenance":[{"start":"2026-12-03T12:00:00Z",
                                  "end":"2026-12-03T13:00:00Z","providers":["openai"]}]})")};
    for (int m = 0; m < 6; ++m) replay.minute(m, {probe(m, "overloaded")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK_FALSE(replay.actions.front().notify);
  }

  // A window from 12:00 to 12:30 for OpenAI; the replay starts at 12:14.
  Config maintained(std::string_view end = "2026-12-03T12:30:00Z") {
    return config_with(R"(["enam"])",
                       std::string(R"(,"alerting":{"maintenance":[{"start":"2026-12-03T12:00:00Z",)"
                                   R"("end":")") +
                           std::string(end) + R"(","providers":["openai"]}]})");
  }

  TEST_CASE("an alert that opens inside maintenance is sent as an opening once the window ends") {
    Replay replay{maintained()};
    for (int m = 0; m < 40; ++m) replay.minute(m, {probe(m, "overloaded")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    const AlertAction& opened = replay.actions.front();
    CHECK_FALSE(opened.notify);
    CHECK_FALSE(opened.alert.last_notified_at);
    // Nothing more inside the window; at 12:30, the first minute out of it, the first notice.
    REQUIRE(replay.actions.size() == 2);
    const AlertAction& notice = replay.actions[1];
    CHECK(replay.action_minutes[1] == 16);
    CHECK(notice.kind == ActionKind::remind);
    CHECK(notice.first_notice);
    CHECK(notice.notify);
    CHECK(notice.alert.detail.find("inside a maintenance window") != std::string::npos);
    // The reminder interval runs from the first notice, not from the silent opening.
    for (int m = 40; m < 76; ++m) replay.minute(m, {probe(m, "overloaded")});
    CHECK(replay.count(ActionKind::remind, "provider_errors") == 1);
    replay.minute(76, {probe(76, "overloaded")});
    REQUIRE(replay.count(ActionKind::remind, "provider_errors") == 2);
    CHECK_FALSE(replay.actions.back().first_notice);
  }

  TEST_CASE("an alert sent before maintenance has its resolution sent inside the window") {
    Replay replay{config_with(R"(["enam"])",
                              R"(,"alerting":{"maintenance":[{"start":"2026-12-03T12:20:00Z",
                                  "end":"2026-12-03T13:00:00Z","providers":["openai"]}]})")};
    for (int m = 0; m < 8; ++m) replay.minute(m, {probe(m, "overloaded")});
    for (int m = 8; m < 40; ++m) replay.minute(m, {probe(m, "ok")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.action_minutes.front() < 6);  // before 12:20
    CHECK(replay.actions.front().notify);
    REQUIRE(replay.count(ActionKind::resolve, "provider_errors") == 1);
    CHECK(replay.action_minutes.back() >= 6);  // 12:20: the window has begun
    CHECK(replay.actions.back().notify);
  }

  TEST_CASE("an alert that opens and resolves inside maintenance sends nothing at all") {
    Replay replay{maintained("2026-12-03T13:00:00Z")};
    for (int m = 0; m < 8; ++m) replay.minute(m, {probe(m, "overloaded")});
    for (int m = 8; m < 40; ++m) replay.minute(m, {probe(m, "ok")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    REQUIRE(replay.count(ActionKind::resolve, "provider_errors") == 1);
    CHECK(replay.count(ActionKind::remind, "provider_errors") == 0);
    for (const AlertAction& a : replay.actions) CHECK_FALSE(a.notify);
  }

  TEST_CASE("an alert from inside maintenance whose failures stopped there is never sent") {
    // Failing 12:14–12:25, clean from 12:26; the window ends at 12:30, before the clean
    // stretch does: no first notice of an incident that is over, and a quiet resolution.
    Replay replay{maintained()};
    for (int m = 0; m < 12; ++m) replay.minute(m, {probe(m, "overloaded")});
    for (int m = 12; m < 40; ++m) replay.minute(m, {probe(m, "ok")});
    REQUIRE(replay.count(ActionKind::open, "provider_errors") == 1);
    CHECK(replay.count(ActionKind::remind, "provider_errors") == 0);
    REQUIRE(replay.count(ActionKind::resolve, "provider_errors") == 1);
    CHECK(replay.action_minutes.back() > 16);  // resolved after the window
    for (const AlertAction& a : replay.actions) CHECK_FALSE(a.notify);
  }

  TEST_CASE("per-target overrides change that target's rule only") {
    auto parsed = parse_config(R"({"targets":[
      {"provider":"openai","model":"a","alerting":{"provider_errors":{"rate":0.5,"min_failures":5}}},
      {"provider":"openai","model":"b"}],"alerting":{"recovery_min":20}})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().targets[0].rules.provider_errors.rate == doctest::Approx(0.5));
    CHECK(parsed.value().targets[0].rules.provider_errors.min_failures == 5);
    CHECK(parsed.value().targets[0].rules.recovery_min == 20);
    CHECK(parsed.value().targets[1].rules.provider_errors.rate == doctest::Approx(0.2));
  }

  TEST_CASE("bad alerting settings are named") {
    auto parsed = parse_config(R"({"targets":[{"provider":"openai","model":"a",
      "alerting":{"latency":{"p95_ms":-1}}}],
      "alerting":{"provider_errors":{"rate":20},"regionl":{},"maintenance":[{"start":"x"}]}})");
    REQUIRE_FALSE(parsed.ok());
    std::vector<std::string> fields;
    for (const Error& e : parsed.error()) fields.push_back(e.field);
    CHECK(fields == std::vector<std::string>{"alerting.regionl", "alerting.provider_errors.rate",
                                             "alerting.maintenance[0]",
                                             "targets[0].alerting.latency.p95_ms"});
  }

  TEST_CASE("a maintenance window whose providers are misspelt is refused, not read as all") {
    const std::string window = R"("start":"2026-12-03T12:00:00Z","end":"2026-12-03T13:00:00Z")";
    struct Case {
      std::string item;
      std::string field;
    };
    for (const Case& c : {Case{"{" + window + R"(,"provider":["mistral"]})", ".provider"},
                          Case{"{" + window + R"(,"providers":"mistral"})", ".providers"},
                          Case{"{" + window + R"(,"providers":[]})", ".providers"},
                          Case{"{" + window + R"(,"models":["a"]})", ".models"},
                          Case{R"("2026-12-03T12:00:00Z")", ""}}) {
      CAPTURE(c.item);
      auto parsed = parse_config(R"({"targets":[{"provider":"openai","model":"a"}],
        "alerting":{"maintenance":[)" +
                                 c.item + "]}}");
      REQUIRE_FALSE(parsed.ok());
      REQUIRE(parsed.error().size() == 1);
      CHECK(parsed.error()[0].field == "alerting.maintenance[0]" + c.field);
      if (c.field.empty()) CHECK(parsed.error()[0].message.find("must be an object") == 0);
    }
  }

  TEST_CASE("a target's alerting names only the rule keys; its maintenance points to the top") {
    auto parsed = parse_config(R"({"targets":[{"provider":"openai","model":"a",
      "alerting":{"regionl":{},"maintenance":[]}}]})");
    REQUIRE_FALSE(parsed.ok());
    REQUIRE(parsed.error().size() == 2);
    CHECK(parsed.error()[0].field == "targets[0].alerting.regionl");
    CHECK(parsed.error()[0].message.find("maintenance") == std::string::npos);
    CHECK(parsed.error()[1].field == "targets[0].alerting.maintenance");
    CHECK(parsed.error()[1].message.find("top-level alerting section") != std::string::npos);
  }

  TEST_CASE("an open alert for a target no longer configured resolves, told if it was sent") {
    Config config = config_with(R"(["enam"])");
    // Never sent (opened inside a maintenance window): it ends as quietly as it began.
    EvaluationInput unsent{
        kStart, {}, {{"provider_errors", "openai/gone", kStart - kMinute, {}}}, {}};
    auto quiet = evaluate(config, unsent);
    REQUIRE(quiet.size() == 1);
    CHECK(quiet[0].kind == ActionKind::resolve);
    CHECK_FALSE(quiet[0].notify);
    // Sent: the channels that heard of it hear that it is no longer watched.
    EvaluationInput sent{
        kStart,
        {},
        {{"regional", "openai/gone@weur", kStart - 9 * kMinute, kStart - 9 * kMinute}},
        {}};
    auto told = evaluate(config, sent);
    REQUIRE(told.size() == 1);
    CHECK(told[0].kind == ActionKind::resolve);
    CHECK(told[0].notify);
    CHECK(told[0].alert.title == "OpenAI gone: no longer monitored (regional)");
    CHECK(told[0].alert.verdict == "ours");  // an older row without its verdict
    sent.open_alerts[0].verdict = "provider";
    CHECK(evaluate(config, sent)[0].alert.verdict == "provider");
    CHECK(told[0].alert.provider == "openai");
    CHECK(told[0].alert.region == "weur");
    CHECK(told[0].alert.resolved_at == iso_utc_minute(kStart));
  }
}

namespace {

constexpr const char* kCloudflare = R"(["enam","weur","apac"])";

// Every Cloudflare region fine until `from`, then failing with `error` each minute up to `to`.
void every_region(Replay& replay, int to, int from, std::string_view error,
                  const std::map<int, std::string>& outside = {}) {
  for (int m = 0; m <= to; ++m) {
    std::string outcome = m < from ? "ok" : std::string(error);
    std::vector<Row> rows = {probe(m, outcome, "enam"), probe(m, outcome, "weur"),
                             probe(m, outcome, "apac")};
    if (auto o = outside.find(m); o != outside.end())
      rows.push_back(probe(m, o->second, "gha-eastus"));
    replay.minute(m, rows);
  }
}

const Alert* opened(const Replay& replay, std::string_view rule) {
  for (const AlertAction& a : replay.actions) {
    if (a.kind == ActionKind::open && a.alert.rule == rule) return &a.alert;
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("alerting: outside vantage") {
  TEST_CASE("every Cloudflare region failing while the outside vantage is fine is the network") {
    Replay replay{config_with(kCloudflare)};
    every_region(replay, 12, 10, "timeout", {{10, "ok"}});
    const Alert* alert = opened(replay, "provider_errors");
    REQUIRE(alert != nullptr);
    // Six failures are 20 % of the window's probes, not over it: the rule opens a minute later.
    CHECK(alert->opened_at == iso_utc_minute(kStart + 12 * kMinute));
    CHECK(alert->verdict == "network");
    REQUIRE(alert->vantage);
    CHECK(alert->vantage->state == "fine");
    CHECK(alert->vantage->evidence ==
          "failing from apac, enam, weur; fine from gha-eastus 2 min ago");
    CHECK(alert->detail ==
          "9 of 30 probes failed in 10 min from 3 of 3 regions: timeout 9; "
          "failing from apac, enam, weur; fine from gha-eastus 2 min ago");
    CHECK(alert->measured.regions_failing == 3);
    CHECK(alert->measured.regions_total == 3);
  }

  TEST_CASE("every Cloudflare region failing and the outside vantage failing too is the provider") {
    Replay replay{config_with(kCloudflare)};
    // Connection failures alone would read as the network; from outside as well, they are not.
    every_region(replay, 12, 10, "connect_error", {{10, "connect_error"}});
    const Alert* alert = opened(replay, "provider_errors");
    REQUIRE(alert != nullptr);
    CHECK(alert->verdict == "provider");
    REQUIRE(alert->vantage);
    CHECK(alert->vantage->state == "failing");
    CHECK(alert->vantage->evidence ==
          "failing from apac, enam, weur and from gha-eastus 2 min ago");
  }

  TEST_CASE("without outside rows the verdict is the error types' as before") {
    SUBCASE("timeouts are the provider") {
      Replay replay{config_with(kCloudflare)};
      every_region(replay, 12, 10, "timeout");
      const Alert* alert = opened(replay, "provider_errors");
      REQUIRE(alert != nullptr);
      CHECK(alert->verdict == "provider");
      REQUIRE(alert->vantage);
      CHECK(alert->vantage->state == "none");
      CHECK(alert->vantage->evidence == "failing from apac, enam, weur; no outside vantage");
    }
    SUBCASE("connection failures are the network") {
      Replay replay{config_with(kCloudflare)};
      every_region(replay, 12, 10, "connect_error");
      const Alert* alert = opened(replay, "provider_errors");
      REQUIRE(alert != nullptr);
      CHECK(alert->verdict == "network");
      CHECK(alert->vantage->state == "none");
    }
    SUBCASE("a failure rate that is not every region failing carries no vantage note") {
      Replay replay{config_with(kCloudflare)};
      for (int m = 0; m < 10; ++m) {
        std::string enam = m % 2 ? "overloaded" : "ok";
        replay.minute(
            m, {probe(m, enam, "enam"), probe(m, m % 3 ? "ok" : "overloaded", "weur"),
                probe(m, m % 3 == 1 ? "overloaded" : "ok", "apac"), probe(m, "ok", "gha-eastus")});
      }
      const Alert* alert = opened(replay, "provider_errors");
      REQUIRE(alert != nullptr);
      CHECK(alert->verdict == "provider");
      CHECK_FALSE(alert->vantage);
    }
  }

  TEST_CASE("outside rows from before the failures or beyond the lookback change nothing") {
    SUBCASE("a success from before the Cloudflare regions began failing") {
      Replay replay{config_with(kCloudflare)};
      every_region(replay, 12, 10, "timeout", {{8, "ok"}});
      const Alert* alert = opened(replay, "provider_errors");
      REQUIRE(alert != nullptr);
      CHECK(alert->verdict == "provider");
      CHECK(alert->vantage->state == "none");
    }
    SUBCASE("a success between the last Cloudflare success and the first failure") {
      Replay replay{config_with(kCloudflare)};
      // Cloudflare probes every other minute: fine at 8, failing from 10; outside fine at 9.
      for (int m = 0; m <= 16; ++m) {
        std::vector<Row> rows;
        if (m % 2 == 0) {
          for (const char* region : {"enam", "weur", "apac"}) {
            rows.push_back(probe(m, m < 10 ? "ok" : "timeout", region));
          }
        }
        if (m == 9) rows.push_back(probe(m, "ok", "gha-eastus"));
        replay.minute(m, rows);
      }
      const Alert* alert = opened(replay, "provider_errors");
      REQUIRE(alert != nullptr);
      CHECK(alert->verdict == "provider");
      CHECK(alert->vantage->state == "none");
    }
    SUBCASE("a success older than the lookback") {
      Config config = config_with(kCloudflare);
      std::vector<Row> rows;
      for (int m = 0; m <= 45; ++m) {
        for (const char* region : {"enam", "weur", "apac"})
          rows.push_back(probe(m, "timeout", region));
      }
      rows.push_back(probe(10, "ok", "gha-eastus"));
      auto verdict_at = [&](int minute) {
        std::vector<Row> upto;
        for (const Row& r : rows) {
          if (r.scheduled_at <= iso_utc_minute(kStart + minute * kMinute)) upto.push_back(r);
        }
        EvaluationInput input{kStart + minute * kMinute, upto, {}, {}};
        for (const AlertAction& a : evaluate(config, input)) {
          if (a.alert.rule == "provider_errors")
            return a.alert.verdict + "/" + a.alert.vantage->state;
        }
        return std::string("none");
      };
      CHECK(verdict_at(10 + kVantageLookbackMin - 1) == "network/fine");
      CHECK(verdict_at(10 + kVantageLookbackMin) == "provider/none");
    }
  }

  TEST_CASE("an outside vantage failing alone opens nothing and starts no confirmation") {
    Replay replay{config_with(kCloudflare)};
    for (int m = 0; m < 20; ++m) {
      replay.minute(m, {probe(m, "ok", "enam"), probe(m, "ok", "weur"), probe(m, "ok", "apac"),
                        probe(m, "connect_error", "gha-eastus"), probe(m, "auth", "gha-eastus")});
    }
    CHECK(replay.actions.empty());
    CHECK_FALSE(starts_confirmation(probe(3, "connect_error", "gha-eastus")));
    CHECK(starts_confirmation(probe(3, "connect_error", "enam")));
  }

  TEST_CASE("outside rows count toward no Cloudflare region guard") {
    SUBCASE("two regions failing and the outside vantage failing are not three regions") {
      Replay replay{config_with(kCloudflare)};
      for (int m = 0; m < 10; ++m) {
        replay.minute(m, {probe(m, "server_error", "enam"), probe(m, "server_error", "weur"),
                          probe(m, "ok", "apac"), probe(m, "server_error", "gha-eastus")});
      }
      CHECK(replay.count(ActionKind::open, "provider_errors") == 0);
      REQUIRE(replay.count(ActionKind::open, "regional") == 2);
      CHECK(opened(replay, "regional")->title == "OpenAI m: failing from enam, fine from apac");
    }
    SUBCASE("an outside vantage that is fine is no healthy region for the regional rule") {
      Replay replay{config_with(R"(["enam","weur"])")};
      for (int m = 0; m < 20; ++m) {
        replay.minute(m, {probe(m, "timeout", "enam"), probe(m, "timeout", "weur"),
                          probe(m, "ok", "gha-eastus")});
      }
      CHECK(replay.count(ActionKind::open, "regional") == 0);
      CHECK(replay.count(ActionKind::open, "provider_errors") == 1);
    }
  }
}
