// MediaRequests as callctl sends them to the media service (docs/bus.md,
// "The media service"), for its unit and end-to-end tests.
#pragma once

#include <map>
#include <string>

#include "sipcc/v1/media.pb.h"

namespace sipcc::test {

// A treatment leg `leg_id` (<ConnID>-<n>: the ConnID is what precedes the
// first '-') with TreatmentParms `parms` (str values).
v1::MediaRequest treatment_ask(const std::string& leg_id, v1::TreatmentType type,
                               const std::map<std::string, std::string>& parms = {});

// A conference party's leg; with `record_file`, a recording's leg.
v1::MediaRequest conference_ask(const std::string& leg_id, const std::string& conf_id,
                                const std::string& record_file = "");

}  // namespace sipcc::test
