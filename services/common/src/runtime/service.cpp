#include "sipcc/service.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/heap_trim.hpp"
#include "sipcc/leases.hpp"
#include "sipcc/supervision.hpp"
#include "sipcc/ticker.hpp"
#include "sipcc/v1/ops.pb.h"

namespace sipcc {

namespace {

// Sent to the process when the root actor failed: it wakes the sigwait
// below, which only takes signals that every thread blocks.
constexpr int kWakeSignal = SIGUSR1;

// How long a service may take to answer its own health query before it
// announces itself ready.
constexpr std::chrono::seconds kSelfCheckTimeout{5};

// Fail fast, without the orderly stop: the actors left after the root's end
// (those not linked to it, such as callctl's call actors) may never end, so
// shutting the actor system down could wait for ever. The restarted process
// learns the state again (leg audits, ready announcements).
[[noreturn]] void exit_failed(const service_context& ctx, const std::string& why) {
  spdlog::critical("{} {} failed: {}; exiting with status {}", ctx.service, ctx.instance, why,
                   kRootFailedExit);
  spdlog::shutdown();  // flushes the logger
  std::_Exit(kRootFailedExit);
}

// Serves an ops subject on the instance's own name and, for a member, on
// its base name too, where one member of the queue group answers.
void serve_ops(service_context& ctx, std::string (*subject)(std::string_view),
               const bus::handler& h) {
  ctx.nats->subscribe(subject(ctx.instance), h);
  if (ctx.base != ctx.instance)
    ctx.nats->subscribe(subject(ctx.base), h, ctx.base);
}

// Answers health queries (and, with SIPCC_FAULT_INJECTION=1 only, fault
// injections) through the process's supervision.
void serve_supervision(service_context& ctx, int64_t started_us) {
  auto& sup = process_supervision();
  sup.serve(
      ctx.service, ctx.instance, started_us,
      [nats = ctx.nats.get()](const std::string& reply, const v1::HealthReply& r) {
        nats->publish(reply, r);
      },
      [] { kill(getpid(), kWakeSignal); });
  serve_ops(ctx, subj::ops_health, [&sup](bus_msg m) {
    if (!m.reply.empty())
      sup.query(m.reply);
  });
  if (!fault_injection_enabled(std::getenv(kFaultInjectionVariable)))
    return;
  spdlog::warn("{}=1: fault injection is on, {} makes the root actor fail (for tests only)",
               kFaultInjectionVariable, subj::ops_fault(ctx.instance));
  ctx.nats->subscribe(subj::ops_fault(ctx.instance), [&sup](bus_msg m) {
    v1::FaultInjection f;
    if (!f.ParseFromString(m.data)) {
      spdlog::warn("bus: undecodable FaultInjection on {} ignored", m.subject);
      return;
    }
    auto reason = f.reason().empty() ? std::string("injected fault") : f.reason();
    if (!sup.inject_fault(reason))
      spdlog::warn("fault injection: this process has no actors to fail");
  });
}

// "Ready" means the actor system answers: the service asks itself over the
// bus, through the path every health query takes; from a connection of its
// own when the service's does not hear what it publishes (hear_own). Empty
// when OK, else why not.
std::string self_check(service_context& ctx, bool hear_own) {
  std::unique_ptr<bus> asker;
  try {
    if (!hear_own)
      asker = std::make_unique<bus>(ctx.cfg.nats_url,
                                    ctx.service + "/" + ctx.instance + "/self-check");
  } catch (const std::exception& e) {
    return std::string("cannot connect to ask: ") + e.what();
  }
  v1::HealthQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto answer = (asker ? *asker : *ctx.nats)
                    .request(subj::ops_health(ctx.instance), q, kSelfCheckTimeout);
  v1::HealthReply r;
  if (!answer || !r.ParseFromString(*answer))
    return "no answer to its own health query within " +
           std::to_string(kSelfCheckTimeout.count()) + " s";
  return r.status() == v1::HEALTH_OK ? "" : r.detail();
}

}  // namespace

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<v1::StateReply> query_dn_states(bus& nats, std::chrono::milliseconds timeout) {
  v1::StateQuery q;
  q.set_schema(v1::SCHEMA_V1);
  q.set_kind(v1::StateQuery::ALL_DNS);
  v1::StateReply reply;
  auto answer = nats.request(subj::state_query, q, timeout);
  if (answer && reply.ParseFromString(*answer) && reply.found())
    return reply;
  return std::nullopt;
}

int run_service(int argc, char** argv, const std::string& service, service_hooks hooks) {
  CLI::App app{"sipcc " + service};
  std::string config_path = "deploy/sipcc.yaml";
  std::string nats_url;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_option("--nats", nats_url, "NATS URL (overrides bus.nats-url)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const int64_t started_us = now_us();

  // Block the stop and wake signals before any thread starts so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, kWakeSignal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto logger = spdlog::stderr_color_mt(service);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  service_context ctx;
  ctx.service = service;
  try {
    ctx.cfg = load_config(config_path);
  } catch (const config_error& e) {
    std::cerr << service << ": configuration error: " << e.what() << "\n";
    return 2;
  }
  for (auto& note : config_notes(ctx.cfg))
    spdlog::info("config: {}", note);
  for (auto& warning : config_warnings(ctx.cfg))
    spdlog::warn("config: {}", warning);
  if (!nats_url.empty())
    ctx.cfg.nats_url = nats_url;
  // A bad SIPCC_INSTANCE (or an edge's SIPCC_EDGE_BIND) stops start-up as a
  // bad configuration does.
  try {
    ctx.base = hooks.instance_of(ctx.cfg);
    ctx.instance = ctx.base;
    if (hooks.members) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      ctx.instance = leases::member_name(ctx.base, std::getenv("SIPCC_INSTANCE"), host, getpid());
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << service << ": " << e.what() << "\n";
    return 2;
  }

  std::string listen;
  try {
    ctx.nats = std::make_unique<bus>(ctx.cfg.nats_url, service + "/" + ctx.instance,
                                     std::chrono::seconds(10), hooks.hear_own);
    serve_ops(ctx, subj::ops_counters, [&ctx](bus_msg m) {
      if (m.reply.empty())
        return;
      auto& c = process_counters();
      c.set(counter_id::bus_dropped, "all", ctx.nats->dropped());
      ctx.nats->publish(m.reply, c.snapshot(ctx.instance));
    });
    serve_supervision(ctx, started_us);
    listen = hooks.start(ctx);
  } catch (const std::exception& e) {
    spdlog::critical("{} cannot start: {}", service, e.what());
    process_supervision().stop_serving();
    if (ctx.nats)
      ctx.nats->close();
    return 1;
  }
  if (auto why = self_check(ctx, hooks.hear_own); !why.empty())
    exit_failed(ctx, "its own health check: " + why);

  v1::ServiceReady ready;
  ready.set_schema(v1::SCHEMA_V1);
  ready.set_instance(ctx.instance);
  ready.set_service(service);
  ready.set_listen(listen);
  ctx.nats->publish(subj::ops_ready(ctx.instance), ready);
  spdlog::info("{} {} ready: {}; bus {}", service, ctx.instance, listen, ctx.cfg.nats_url);
  heap_trimmer trimmer;
  ticker trim(std::chrono::seconds(10), [&trimmer] {
    auto r = trimmer.check();
    if (r.trimmed && r.rss_before_kb - r.rss_after_kb >= 1024)
      spdlog::info("memory: {} MB of freed heap given back to the system, {} MB resident",
                   (r.rss_before_kb - r.rss_after_kb) / 1024, r.rss_after_kb / 1024);
  });

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != kWakeSignal)
      break;
    if (auto why = process_supervision().failure())
      exit_failed(ctx, "its root actor ended (" + *why + ")");
    // A wake signal from outside, with nothing failed: keep serving.
  }
  spdlog::info("{} stopping on signal {}", service, sig);
  if (hooks.stop)
    hooks.stop(ctx);
  process_supervision().stop_serving();
  ctx.nats->close();
  return 0;
}

}  // namespace sipcc
