// The owners' subscriptions (presence's DNs and resource lists, MWI's
// mailboxes): the subscriber side of RFC 6665 (SUBSCRIBE, its refreshes, the
// NOTIFYs, the un-SUBSCRIBE), kept on sofia-sip's transaction layer (nta)
// directly. A subscription holds its dialog's nta leg and its entry here,
// about a third of what a nua handle kept with its request template, saved
// tags and usage (bench/RESULTS.md, issue 15); nua keeps the calls, REGISTER
// and OPTIONS on the same agent. What the owner hears is unchanged: SubEvent
// response / notify / ended on sipcc.sub.<owner>.<sub-id>. Runs on the
// sofia thread only.
#pragma once

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include <sofia-sip/nta.h>
#include <sofia-sip/su_wait.h>

#include "sipcc/service.hpp"
#include "sipcc/token_bucket.hpp"
#include "sipcc/v1/sip.pb.h"

namespace sipcc::edge {

class subscriptions {
public:
  subscriptions(service_context& ctx, nta_agent_t* agent, su_root_t* root);
  ~subscriptions();

  void subscribe(const v1::SubscribeCmd& c);
  void unsubscribe(const v1::UnsubscribeCmd& c);
  // A restarted owner subscribes afresh; what its former incarnation held
  // is ended here, or it would be refreshed for ever. With shards, the next
  // holder of those shards' leases ends what a dead holder made for them.
  void forget_owner(const v1::ForgetOwnerCmd& c);
  // Once a second: refreshes what is due, lets go of dialogs whose final
  // NOTIFY did not come.
  void tick();
  // The edge stops: every dialog is un-SUBSCRIBEd once and let go (the
  // agent goes with nua, and takes the un-SUBSCRIBEs' retransmissions).
  void shutdown();

  struct entry;

private:
  static int on_request(nta_leg_magic_t* magic, nta_leg_t* leg, nta_incoming_t* irq,
                        sip_t const* sip);
  static int on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip);
  void response(entry& e, int status, const char* phrase, sip_t const* sip);
  void notify(entry& e, nta_incoming_t* irq, sip_t const* sip);
  bool send(entry& e, uint32_t expires);
  std::string contact(const entry& e) const;
  void end_dialog(entry& e);
  void end_forgotten();
  void publish(entry& e, v1::SubEvent& ev);
  void reschedule(entry& e, uint32_t granted_s, bool sooner_only);
  void drop(entry& e);
  void count();

  service_context& ctx_;
  nta_agent_t* agent_;
  su_root_t* root_;
  const std::string own_uri_;  // the From of every SUBSCRIBE, and the Contact's URI
  std::unordered_map<std::string, std::unique_ptr<entry>> subs_;
  std::minstd_rand draw_;
  // Dialogs their owner left (ForgetOwnerCmd), ended at the configured
  // subscribe-rate (the larger of presence's and mwi's): a dead member's
  // thousands were one burst of un-SUBSCRIBEs at Asterisk and of final
  // NOTIFYs at the edge's socket (bench/failover: 1,815 at once).
  std::deque<std::string> to_forget_;
  token_bucket forget_pace_;
  su_timer_t* forget_timer_ = nullptr;
};

}  // namespace sipcc::edge
