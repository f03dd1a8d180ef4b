// TAnswerCall: the desktop answers a call ringing at its DN's phone. The DN
// option remote-answer says how that phone can be answered from afar
// (config.cpp checks it, and that the phone registers on sipcc: Asterisk
// passes neither a NOTIFY nor Call-Info on to the phones behind it):
//  talk          the phone takes the BroadSoft talk event (BroadWorks'
//                click-to-answer, as the reference sends it): TAnswerCall
//                sends NOTIFY Event: talk in the ringing call's early dialog
//                and the phone answers the INVITE itself.
//  answer-after  every routed call's INVITE asks the phone to answer at once
//                by itself (Call-Info answer-after=0, Polycom, Yealink, Snom,
//                Cisco): TAnswerCall has nothing to send.
// Either way the reply to TAnswerCall is the EventEstablished the phone's
// answer brings, or EventError when the phone refuses the talk NOTIFY or the
// call leaves the DN first: the desktop learns whether its request worked.
#pragma once

#include <map>
#include <string>

#include "sipcc/config.hpp"

namespace sipcc {

enum class remote_answer { none, talk, answer_after };

// From a DN's options (checked by config.cpp); none without the option.
remote_answer remote_answer_of(const std::map<std::string, std::string>& dn_options);

// The INVITE header line that asks the phone to answer by itself, the URI
// naming sipcc at `host`.
std::string answer_after_header(const std::string& host);

// TAnswerCall's checks against a call: answer_refusal (call_requests.hpp).

}  // namespace sipcc
