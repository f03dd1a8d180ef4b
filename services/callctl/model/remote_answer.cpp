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

}  // namespace sipcc
