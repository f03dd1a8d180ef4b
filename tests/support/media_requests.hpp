// MediaRequests as callctl sends them to the media service (docs/bus.md,
// "The media service"), for its unit and end-to-end tests.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "sipcc/bus.hpp"
#include "sipcc_fixture.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::test {

// A treatment leg `leg_id` (<ConnID>-<n>: the ConnID is what precedes the
// first '-') with TreatmentParms `parms` (str values).
v1::MediaRequest treatment_ask(const std::string& leg_id, v1::TreatmentType type,
                               const std::map<std::string, std::string>& parms = {});

// A conference party's leg; with `record_file`, a recording's leg.
v1::MediaRequest conference_ask(const std::string& leg_id, const std::string& conf_id,
                                const std::string& record_file = "");

// Publishes what the media service says when server `server` stops answering
// its OPTIONS (sipcc.media.health.<server>, out of service), as the tests of
// callctl's failover play it.
void publish_out_of_service(bus& client, const std::string& server);

// The pool as the media service answers sipcc.media.pool (sipccctl media);
// nullopt without an answer.
std::optional<v1::MediaPool> ask_pool(bus& client);
// Asks for the pool until `done` holds for it, within `deadline` (leg
// reports travel on other subscriptions than the query).
bool pool_until(bus& client, const std::function<bool(const v1::MediaPool&)>& done,
                std::chrono::milliseconds deadline);
// The media legs started on server `server` of the pool, 0 when unknown.
uint32_t sessions(const v1::MediaPool& p, const std::string& server);
// Whether the pool has `n` servers, every one in service.
bool all_in_service(const v1::MediaPool& p, int n);

// The media leg of call `conn_id` that callctl instance `owner` reported
// started, other than leg `except`; an empty leg when none came in time.
v1::MediaLeg wait_leg_started(bus_recorder& rec, const std::string& owner,
                              const std::string& conn_id, const std::string& except,
                              std::chrono::milliseconds deadline);
// Whether the media service said server `server` is out of service in time.
bool wait_out_of_service(bus_recorder& rec, const std::string& server,
                         std::chrono::milliseconds deadline);

}  // namespace sipcc::test
