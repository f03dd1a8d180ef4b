#include "media.hpp"

int main(int argc, char** argv) {
  std::unique_ptr<sipcc::media::media_service> svc;
  sipcc::service_hooks hooks;
  hooks.instance_of = [](const sipcc::config& cfg) { return cfg.media.instance; };
  hooks.members = true;
  hooks.start = [&](sipcc::service_context& ctx) {
    svc = std::make_unique<sipcc::media::media_service>(ctx);
    return svc->start();
  };
  hooks.stop = [&](sipcc::service_context&) { svc->stop(); };
  return sipcc::run_service(argc, argv, "media", hooks);
}
