#include "sipcc/subscriber.hpp"

#include <atomic>
#include <deque>
#include <optional>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/token_bucket.hpp"

namespace sipcc {

namespace {

uint64_t random_generation_base() {
  std::random_device rd;
  return static_cast<uint64_t>(rd()) << 32;
}

}  // namespace

sub_settings subscription_settings(uint32_t retry_s, uint32_t backoff_max_s, uint32_t t1x64_ms,
                                   uint32_t first_notify_ms) {
  sub_settings st;
  st.retry_ms = retry_s * 1000;
  st.backoff_max_ms = backoff_max_s * 1000;
  st.pending_guard_ms = t1x64_ms + 5000;
  st.first_notify_ms = first_notify_ms;
  return st;
}

subscriber::subscriber(subscription_owner self, bus* nats, pacer_actor pacer,
                       subscription_spec spec, sub_settings settings, hooks h)
    : self_(std::move(self)),
      nats_(nats),
      pacer_(std::move(pacer)),
      spec_(std::move(spec)),
      settings_(settings),
      hooks_(std::move(h)) {
  // Generations are unique in the process, not per subscriber: a new
  // subscriber for a key that had one before (an agent logging in again)
  // must not take the old one's late events, timers or sub-id for its own.
  // They start at a random subscriber index, so a restarted owner's sub-ids
  // differ from those of its former incarnation, whose last events may
  // still arrive (the edge takes a sub-id it holds for a duplicate).
  static std::atomic<uint64_t> next_base{random_generation_base()};
  sub_.generation = sub_.timer_gen = next_base.fetch_add(uint64_t{1} << 32);
  process_counters().add(counter_id::subscriptions, to_string(sub_.phase), 1);
}

std::string subscriber::sub_id(uint64_t generation) const {
  return spec_.key + "_" + std::to_string(generation);
}

void subscriber::start() { feed(sub_input{sub_input::start}); }
void subscriber::stop() { feed(sub_input{sub_input::stop}); }
void subscriber::paced() { feed(sub_input{sub_input::paced}); }

void subscriber::timer(uint64_t timer_gen) {
  sub_input in{sub_input::timer};
  in.timer_gen = timer_gen;
  feed(in);
}

void subscriber::guard(uint64_t generation) {
  sub_input in{sub_input::guard};
  in.generation = generation;
  feed(in);
}

void subscriber::first_notify_timeout(uint64_t generation) {
  sub_input in{sub_input::first_notify_timeout};
  in.generation = generation;
  feed(in);
}

void subscriber::edge_gone(const std::string& edge) {
  if (!holds_dialog(sub_.phase) || edge != dialog_edge_)
    return;
  // In case the dialog was made just before the edge announced itself.
  publish_unsubscribe(sub_.generation, dialog_edge_);
  sub_input in{sub_input::ended};
  in.generation = sub_.generation;
  feed(in);
}

void subscriber::event(const v1::SubEvent& ev) {
  sub_input in;
  auto sep = ev.sub_id().rfind('_');
  in.generation =
      sep == std::string::npos ? 0 : std::strtoull(ev.sub_id().c_str() + sep + 1, nullptr, 10);
  switch (ev.ev_case()) {
    case v1::SubEvent::kResponse:
      in.what = sub_input::response;
      in.status = ev.response().status();
      in.refresh = ev.response().refresh();
      if (!ev.response().cause().empty())
        spdlog::warn("{}: SUBSCRIBE answered {}: {}", spec_.key, ev.response().status(),
                     ev.response().cause());
      break;
    case v1::SubEvent::kNotify:
      in.what = sub_input::notify;
      in.substate = ev.notify().substate();
      in.reason = ev.notify().reason();
      in.retry_after_s = ev.notify().retry_after();
      in.cseq = ev.notify().cseq();
      in.dialog_tag = ev.notify().dialog_tag();
      break;
    default:
      in.what = sub_input::ended;
      break;
  }
  feed(in, ev.has_notify() ? &ev.notify() : nullptr);
}

bool subscriber::accept_version(long long version, bool full_state) {
  auto last = sub_.last_version;
  auto verdict = check_version(sub_, version, full_state);
  switch (verdict) {
    case version_verdict::apply:
      return true;
    case version_verdict::restart:
      spdlog::warn("{}: version {} after {} in a full-state NOTIFY: applied, versions go on "
                   "from it",
                   spec_.key, version, last);
      return true;
    case version_verdict::replay:
      process_counters().add(counter_id::notify_stale, "version");
      spdlog::debug("{}: version {} again: ignored", spec_.key, version);
      return false;
    case version_verdict::resync:
      process_counters().add(counter_id::notify_stale, "version");
      spdlog::warn("{}: version {} after {} in a partial NOTIFY: subscribing again for full "
                   "state",
                   spec_.key, version, last);
      // The owner calls this from on_body, inside the NOTIFY's own feed():
      // that step is done with the state, so the resync is simply the next.
      feed(sub_input{sub_input::resync});
      return false;
  }
  return false;
}

void subscriber::publish_unsubscribe(uint64_t generation, const std::string& edge) {
  v1::EdgeCommand cmd;
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_cmd_id(sub_id(generation));
  cmd.mutable_unsubscribe()->set_sub_id(sub_id(generation));
  nats_->publish(subj::edge_cmd(edge), cmd);
}

void subscriber::feed(const sub_input& in, const v1::SubNotify* notify) {
  // An un-SUBSCRIBE goes where its dialog is, even when this step picks a
  // new edge for the next.
  const std::string dialog_edge = dialog_edge_;
  auto before = sub_.phase;
  auto a = step(sub_, in, settings_);
  auto& c = process_counters();
  if (a.ignored)
    c.add(counter_id::notify_stale, a.ignored);
  if (before != sub_.phase) {
    c.add(counter_id::subscriptions, to_string(before), -1);
    c.add(counter_id::subscriptions, to_string(sub_.phase), 1);
  }
  // The body describes the resource before a termination takes monitoring away.
  if (a.apply_body && notify && hooks_.on_body)
    hooks_.on_body(*notify);
  if (a.want_pace)
    caf::anon_send(pacer_, pace_request{self_, spec_.key});
  if (a.send_subscribe) {
    v1::EdgeCommand cmd;
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.set_cmd_id(sub_id(sub_.generation));
    auto* sc = cmd.mutable_subscribe();
    sc->set_sub_id(sub_id(sub_.generation));
    sc->set_owner(spec_.owner);
    sc->set_key(spec_.key);
    sc->set_target_uri(spec_.target_uri);
    sc->set_event(spec_.event);
    sc->set_accept(spec_.accept);
    sc->set_expires(spec_.expires);
    sc->set_eventlist(spec_.eventlist);
    sc->set_contact_params(spec_.contact_params);
    if (spec_.shard)
      sc->set_shard(*spec_.shard);
    dialog_edge_ = spec_.edges ? spec_.edges->pick(spec_.key) : spec_.edge_id;
    nats_->publish(subj::edge_cmd(dialog_edge_), cmd);
  }
  if (a.send_unsubscribe)
    publish_unsubscribe(*a.send_unsubscribe, dialog_edge);
  if (a.no_first_notify) {
    c.add(counter_id::no_first_notify, spec_.eventlist ? "list" : "single");
    // A resource list's first NOTIFY carries every resource's state at once;
    // only an owner that knows the list is too large for it gives up.
    spdlog::warn("{}: SUBSCRIBE answered 2xx but no NOTIFY came within {} ms{}; {}", spec_.key,
                 settings_.first_notify_ms,
                 a.gave_up && spec_.eventlist
                     ? ": the list's full-state NOTIFY is likely too large for a UDP "
                       "datagram (Asterisk logs 'is too large to send')"
                     : "",
                 a.gave_up ? "ended, not retried" : "ended, to be retried");
  }
  if (a.timer_ms) {
    spdlog::info("{}: subscribing again in {} ms", spec_.key, *a.timer_ms);
    caf::delayed_anon_send(self_, std::chrono::milliseconds(*a.timer_ms),
                           sub_retry_timer{spec_.key, sub_.timer_gen});
  }
  if (a.guard_ms)
    caf::delayed_anon_send(self_, std::chrono::milliseconds(*a.guard_ms),
                           sub_guard_timer{spec_.key, sub_.generation});
  if (a.first_notify_timer_ms)
    caf::delayed_anon_send(self_, std::chrono::milliseconds(*a.first_notify_timer_ms),
                           sub_first_notify_timer{spec_.key, sub_.generation});
  if (a.monitoring) {
    spdlog::info("{}: monitoring {}", spec_.key, *a.monitoring ? "regained" : "lost");
    if (hooks_.on_monitoring)
      hooks_.on_monitoring(*a.monitoring);
  }
  if (a.gave_up && hooks_.on_gave_up)
    hooks_.on_gave_up();
}

namespace {

struct pacer_state {
  std::deque<pace_request> waiting;
  std::optional<token_bucket> bucket;
  bool ticking = false;
  std::chrono::milliseconds interval{10};
  static inline const char* name = "pacer";
};

using pacer_pointer = pacer_actor::stateful_pointer<pacer_state>;

void release(pacer_pointer self) {
  auto& s = self->state;
  auto n = s.bucket->take(token_bucket::clock::now(), s.waiting.size());
  for (; n > 0; --n) {
    self->send(s.waiting.front().owner, sub_paced{s.waiting.front().key});
    s.waiting.pop_front();
  }
  s.ticking = !s.waiting.empty();
  if (s.ticking)
    self->delayed_send(self, s.interval, pacer_tick{});
}

pacer_actor::behavior_type pacer(pacer_pointer self, double rate) {
  auto& s = self->state;
  s.bucket.emplace(token_bucket::for_pacing(rate, token_bucket::clock::now()));
  s.interval = pacing_interval(rate);
  return {
      [=](pace_request& r) {
        self->state.waiting.push_back(std::move(r));
        if (!self->state.ticking)
          release(self);
      },
      [=](pacer_tick) { release(self); },
  };
}

}  // namespace

void forget_owner_subscriptions(bus& nats, const std::vector<std::string>& edges,
                                const std::string& owner, const std::set<uint32_t>& shards) {
  v1::EdgeCommand cmd;
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_cmd_id("forget-" + owner);
  cmd.mutable_forget_owner()->set_owner(owner);
  for (auto shard : shards)
    cmd.mutable_forget_owner()->add_shards(shard);
  for (const auto& edge : edges)
    nats.publish(subj::edge_cmd(edge), cmd);
}

void forget_former_holders(bus& nats, const std::vector<std::string>& edges,
                           const std::map<uint32_t, std::string>& previous) {
  std::map<std::string, std::set<uint32_t>> left_by;
  for (const auto& [shard, holder] : previous)
    left_by[holder].insert(shard);
  for (const auto& [holder, shards] : left_by) {
    spdlog::info("ending what {} subscribed for the {} shards taken over", holder, shards.size());
    forget_owner_subscriptions(nats, edges, holder, shards);
  }
}

pacer_actor spawn_pacer(caf::local_actor* parent, double rate) {
  return parent->spawn<caf::linked>(pacer, rate);
}

}  // namespace sipcc
