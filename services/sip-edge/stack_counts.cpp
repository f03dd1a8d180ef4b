#include "stack_counts.hpp"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <spdlog/spdlog.h>

#include "sipcc/counters.hpp"

namespace sipcc::edge {

namespace {
// The agent nua made; set and read on the sofia thread only.
nta_agent_t* g_agent = nullptr;

// sofia's own definition of `name`, which the edge's definition hides.
template <typename Fn>
Fn sofia_function(const char* name) {
  void* f = ::dlsym(RTLD_NEXT, name);
  if (!f) {
    // Only a broken link gets here: nothing of the SIP stack could work.
    spdlog::critical("edge: sofia-sip's {} not found ({})", name, ::dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

int64_t as_count(usize_t v) { return static_cast<int64_t>(v); }
}  // namespace

nta_agent_t* stack_agent() { return g_agent; }

void sample_stack() {
  if (!g_agent)
    return;
  usize_t bad = 0, merged = 0, server = 0, client = 0, dialogs = 0;
  nta_agent_get_stats(g_agent, NTATAG_S_BAD_REQUEST_REF(bad),
                      NTATAG_S_MERGED_REQUEST_REF(merged), NTATAG_S_IRQ_HASH_USED_REF(server),
                      NTATAG_S_ORQ_HASH_USED_REF(client), NTATAG_S_LEG_HASH_USED_REF(dialogs),
                      TAG_END());
  auto& c = process_counters();
  // nta counts these itself, monotonically: the counter takes its value.
  c.set(counter_id::sip_auto_responses, "malformed", as_count(bad));
  c.set(counter_id::sip_auto_responses, "merged", as_count(merged));
  c.set(counter_id::sip_transactions, "server", as_count(server));
  c.set(counter_id::sip_transactions, "client", as_count(client));
  c.set(counter_id::sip_transactions, "dialog", as_count(dialogs));
}

void forget_stack() { g_agent = nullptr; }

}  // namespace sipcc::edge

// ---- the two wrapped sofia functions (see stack_counts.hpp) ------------------

extern "C" {

nta_agent_t* nta_agent_create(su_root_t* root, url_string_t const* name, nta_message_f* callback,
                              nta_agent_magic_t* magic, tag_type_t tag, tag_value_t value, ...) {
  using fn = nta_agent_t* (*)(su_root_t*, url_string_t const*, nta_message_f*,
                               nta_agent_magic_t*, tag_type_t, tag_value_t, ...);
  static const fn sofia = sipcc::edge::sofia_function<fn>("nta_agent_create");
  ta_list ta;
  ta_start(ta, tag, value);
  nta_agent_t* agent = sofia(root, name, callback, magic, ta_tags(ta));
  ta_end(ta);
  sipcc::edge::g_agent = agent;
  return agent;
}

int nta_incoming_treply(nta_incoming_t* irq, int status, char const* phrase, tag_type_t tag,
                        tag_value_t value, ...) {
  using fn = int (*)(nta_incoming_t*, int, char const*, tag_type_t, tag_value_t, ...);
  static const fn sofia = sipcc::edge::sofia_function<fn>("nta_incoming_treply");
  // The transaction's first final answer: sofia refuses to send a second.
  if (irq && status >= 200 && nta_incoming_status(irq) < 200)
    sipcc::process_counters().add(sipcc::counter_id::sip_auto_responses,
                                  sipcc::sip_status_label(status));
  ta_list ta;
  ta_start(ta, tag, value);
  int rv = sofia(irq, status, phrase, ta_tags(ta));
  ta_end(ta);
  return rv;
}

}  // extern "C"
