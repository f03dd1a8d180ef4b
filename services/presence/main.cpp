#include "presence.hpp"

int main(int argc, char** argv) {
  std::unique_ptr<sipcc::presence::presence_service> svc;
  sipcc::service_hooks hooks;
  hooks.instance_of = [](const sipcc::config& c) { return c.presence_instance; };
  hooks.members = true;
  // Its own DN states (sipcc.state.dn.*, two per routed call) came back to
  // it and were dropped: it follows only the other members' there.
  hooks.hear_own = false;
  hooks.start = [&](sipcc::service_context& ctx) {
    svc = std::make_unique<sipcc::presence::presence_service>(ctx);
    return svc->start();
  };
  hooks.stop = [&](sipcc::service_context&) { svc->stop(); };
  return sipcc::run_service(argc, argv, "presence", hooks);
}
