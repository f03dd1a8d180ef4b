// The media service: owns the media servers of the configuration (their
// health, by SIP OPTIONS through the edge) and their resources (sessions,
// conferences, recordings, kept from callctl's leg reports), and answers
// callctl's question "where does this media leg go?" from that state. One
// CAF actor runs the pure model (services/media/model/) over the bus.
//
// Several instances may run: each keeps the whole state from the same
// inputs (every leg report, every request, its own probes) and answers every
// request; the requester takes the first answer. The choice is a function of
// that state, so they answer alike (their probes may disagree for a probe
// interval around a change). Probe ids carry a per-process token, so
// instances that share a configured name tell their probes apart.
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::media {

class media_service {
public:
  explicit media_service(service_context& ctx);
  ~media_service();
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::media
