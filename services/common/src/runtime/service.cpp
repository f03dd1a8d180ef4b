#include "sipcc/service.hpp"

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/v1/ops.pb.h"

namespace sipcc {

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

  // Block the stop signals before any thread starts so every thread inherits
  // the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

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
  ctx.instance = hooks.instance_of(ctx.cfg);

  std::string listen;
  try {
    ctx.nats = std::make_unique<bus>(ctx.cfg.nats_url, service + "/" + ctx.instance);
    ctx.nats->subscribe(subj::ops_counters(ctx.instance), [&ctx](bus_msg m) {
      if (m.reply.empty())
        return;
      auto& c = process_counters();
      c.set(counter_id::bus_dropped, "all", ctx.nats->dropped());
      ctx.nats->publish(m.reply, c.snapshot(ctx.instance));
    });
    listen = hooks.start(ctx);
  } catch (const std::exception& e) {
    spdlog::critical("{} cannot start: {}", service, e.what());
    if (ctx.nats)
      ctx.nats->close();
    return 1;
  }

  v1::ServiceReady ready;
  ready.set_schema(v1::SCHEMA_V1);
  ready.set_instance(ctx.instance);
  ready.set_service(service);
  ready.set_listen(listen);
  ctx.nats->publish(subj::ops_ready(ctx.instance), ready);
  spdlog::info("{} {} ready: {}; bus {}", service, ctx.instance, listen, ctx.cfg.nats_url);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("{} stopping on signal {}", service, sig);
  if (hooks.stop)
    hooks.stop(ctx);
  ctx.nats->close();
  return 0;
}

}  // namespace sipcc
