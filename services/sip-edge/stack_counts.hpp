// What sofia-sip answers and keeps by itself, counted (issue 16, defect 6).
//
// nua tells the application nothing of the requests it or nta refuse on
// their own (405, 416, 420, 481, 501 ... in a transaction; 400, 413, 505 and
// 482 before any), and keeps its nta agent, whose statistics would tell,
// private. So the edge wraps two sofia functions, by ELF symbol interposition
// (the executable's definition runs in place of the library's, and calls it
// through dlsym(RTLD_NEXT)):
// - nta_agent_create, to keep the agent nua makes, read
//   nta_agent_get_stats() from it, and keep the subscriptions' legs on it;
// - nta_incoming_treply, through which every final response nta or nua make
//   themselves in a transaction goes (the edge's own go through nua_respond,
//   which sends with nta_incoming_mreply, or through that directly).
// Both run on the sofia thread, where nua calls them.
#pragma once

#include <sofia-sip/nta.h>

namespace sipcc::edge {

// The agent nua made: null when this build of libsofia-sip-ua binds its own
// calls internally (the edge then refuses to start: its subscriptions live
// on this agent), and after forget_stack.
nta_agent_t* stack_agent();

// Copies nta's statistics into the counters: nta's refusals before any
// transaction (sip_auto_responses{malformed}, {482}) and the live
// transactions and dialogs (sip_transactions{server,client,dialog}).
void sample_stack();

// nua_shutdown destroys the agent: no more reading it.
void forget_stack();

}  // namespace sipcc::edge
