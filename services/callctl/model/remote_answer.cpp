#include "callctl/model/remote_answer.hpp"

namespace sipcc {

remote_answer remote_answer_of(const std::map<std::string, std::string>& dn_options) {
  auto it = dn_options.find("remote-answer");
  if (it == dn_options.end())
    return remote_answer::none;
  return it->second == "talk" ? remote_answer::talk : remote_answer::answer_after;
}

std::string answer_after_header(const std::string& host) {
  return "Call-Info: <sip:" + host + ">;answer-after=0";
}

request_refusal answer_refusal(const call& c, const std::string& dn, remote_answer mode) {
  const std::string not_ringing = "DN " + dn + " is not ringing on ConnID " + c.conn_id;
  if (c.direct || dn.empty() || dn != c.agent_dn)
    return {v1::ERR_INVALID_STATE, not_ringing};
  if (mode == remote_answer::none)
    return {v1::ERR_UNSUPPORTED, "the phone of DN " + dn +
                                     " cannot be answered from the desktop (no remote-answer)"};
  if (c.state != call_state::alerting)
    return {v1::ERR_INVALID_STATE, not_ringing};
  if (c.answering)
    return {v1::ERR_INVALID_STATE,
            "a TAnswerCall for ConnID " + c.conn_id + " waits for the phone already"};
  if (mode == remote_answer::talk && !c.agent_rang)
    return {v1::ERR_INVALID_STATE, "the phone of DN " + dn +
                                       " has not rung yet: no early dialog to send talk in"};
  return {};
}

}  // namespace sipcc
