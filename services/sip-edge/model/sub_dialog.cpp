#include "sip-edge/model/sub_dialog.hpp"

#include <algorithm>

namespace sipcc::sub_dialog {

std::chrono::milliseconds refresh_delay(uint32_t granted_s, double u,
                                        std::chrono::milliseconds transaction_timeout) {
  using std::chrono::milliseconds;
  const milliseconds granted{int64_t{granted_s} * 1000};
  const milliseconds latest = granted - transaction_timeout - milliseconds{1000};
  if (latest < granted / 2)
    return granted / 2;
  u = std::clamp(u, 0.0, 1.0);
  const auto lo = granted / 2;
  const auto hi = granted * 4 / 5;
  const milliseconds d{lo.count() + static_cast<int64_t>(u * static_cast<double>((hi - lo).count()))};
  return std::min(d, latest);
}

std::optional<sip_checks::refusal> refusal(std::string_view method, std::string_view subscribed,
                                           std::string_view notify_event,
                                           bool has_subscription_state) {
  if (method != "NOTIFY")
    return sip_checks::refusal{405, "Method Not Allowed", "", "", ""};
  if (notify_event != subscribed)
    return sip_checks::refusal{489, "Bad Event", "", "", ""};
  if (!has_subscription_state)
    return sip_checks::refusal{400, "Missing Subscription-State", "", "", ""};
  return std::nullopt;
}

}  // namespace sipcc::sub_dialog
