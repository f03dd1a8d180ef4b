#include "rtp_phone.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include "loopback.hpp"
#include "sipcc/text.hpp"
#include "sipcc_fixture.hpp"
#include "tone_detect.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t k_window = 1600;        // 200 ms analysed by wait_hears
constexpr uint64_t k_loud_packets = 3;   // 60 ms: more than a packet still in flight at a hold
constexpr double k_amplitude = 6000;     // about -15 dBFS
constexpr char k_events[] = "0123456789*#ABCD";  // RFC 4733 event codes 0-15
constexpr int k_event_ticks = 5;         // 100 ms per digit
constexpr int k_digit_ticks = 7;         // then 40 ms of audio

// What the other side's SDP says about its first audio stream.
struct remote_media {
  uint32_t ip = 0;  // network order; 0 for none or 0.0.0.0
  uint16_t port = 0;
  bool pcmu = false;
  int event_pt = -1;  // telephone-event/8000
  bool sends = true, receives = true;
};

void set_direction(std::string_view dir, remote_media& m) {
  if (dir == "sendrecv" || dir == "sendonly" || dir == "recvonly" || dir == "inactive") {
    m.sends = dir == "sendrecv" || dir == "sendonly";
    m.receives = dir == "sendrecv" || dir == "recvonly";
  }
}

remote_media parse_sdp(std::string_view sdp) {
  remote_media m;
  enum { session, audio, other } section = session;
  for (auto line : split_lines(sdp)) {
    if (line.substr(0, 2) == "m=") {
      if (section == audio || line.substr(0, 8) != "m=audio ") {
        section = other;
        continue;
      }
      section = audio;
      auto f = split(line.substr(2), ' ');  // audio <port> <proto> <fmt>...
      m.port = f.size() > 1 ? static_cast<uint16_t>(std::atoi(std::string(f[1]).c_str())) : 0;
      m.pcmu = std::find(f.begin() + std::min<size_t>(3, f.size()), f.end(), "0") != f.end();
    } else if (section != other && line.substr(0, 9) == "c=IN IP4 ") {
      in_addr a{};
      m.ip = inet_pton(AF_INET, std::string(trim(line.substr(9))).c_str(), &a) == 1
                 ? a.s_addr : 0;
    } else if (section != other && line.substr(0, 2) == "a=") {
      set_direction(line.substr(2), m);
      auto rtpmap = line.substr(0, 9) == "a=rtpmap:" ? line.substr(9) : std::string_view();
      auto blank = rtpmap.find(' ');
      if (section == audio && blank != rtpmap.npos &&
          lower(rtpmap.substr(blank + 1)) == "telephone-event/8000")
        m.event_pt = std::atoi(std::string(rtpmap.substr(0, blank)).c_str());
    }
  }
  return m;
}

const char* direction(bool send, bool receive) {
  return send ? (receive ? "sendrecv" : "sendonly") : (receive ? "recvonly" : "inactive");
}

}  // namespace

struct rtp_phone::impl {
  phone_options opt;
  uint16_t sip_port = 0, rtp_port = 0;
  int rtp_fd = -1;

  // Sofia thread only.
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  nua_handle_t* reg_nh = nullptr;
  nua_handle_t* call_nh = nullptr;
  bool outgoing = false, up = false;
  std::string offer_in;  // the offer of a ringing INVITE ("" for none)
  int reg_tries = 0, call_tries = 0;
  uint64_t sdp_version = 0;

  mutable std::mutex mu;  // all below, shared with the test and media threads
  mutable std::condition_variable cv;
  bool sip_ready = false;
  int reg_status = 0, reinvite_status = 0;  // 0 while pending, -1 for nothing to do
  uint64_t incoming = 0, incoming_seen = 0;
  bool in_call = false, established = false, ended = false, holding = false;
  std::string remote_sdp;
  remote_media remote;
  std::vector<std::string> infos;
  int recv_event_pt = 101;
  std::deque<char> dtmf_out;
  int dtmf_tick = 0;
  uint32_t event_ts = 0;
  uint64_t ticks = 0;  // 20 ms steps since start: RTP timestamp and tone phase
  uint16_t seq = 0;
  uint32_t ssrc = std::random_device{}();
  std::deque<int16_t> heard;  // the last k_window samples received
  uint64_t heard_samples = 0, loud_packets = 0;
  std::string digits_in;
  bool have_event_ts = false;
  uint32_t last_event_ts = 0;

  std::atomic<bool> stop_media{false};
  std::thread sip_thread, media_thread;

  template <class Pred>
  bool wait(std::chrono::milliseconds deadline, Pred done) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, deadline, done);
  }

  // ---- SIP (sofia thread) --------------------------------------------------

  void sip_main() {
    su_init();
    root = su_root_create(this);
    su_root_threading(root, 0);  // nua's stack on this thread, no second one
    std::string url = "sip:127.0.0.1:" + std::to_string(sip_port) + ";transport=udp";
    nua = nua_create(root, &impl::on_event, this, NUTAG_URL(url.c_str()), NUTAG_MEDIA_ENABLE(0),
                     NUTAG_M_USERNAME(opt.user.c_str()),
                     NUTAG_OUTBOUND("no-validate no-natify no-options-keepalive"),
                     NUTAG_ALLOW("INFO"), SIPTAG_USER_AGENT_STR("sipcc-rtp-phone"), TAG_END());
    {
      std::lock_guard<std::mutex> l(mu);
      sip_ready = true;
    }
    cv.notify_all();
    if (nua) {
      su_root_run(root);
      nua_destroy(nua);
    }
    su_root_destroy(root);
    su_deinit();
  }

  static void run_posted(su_root_magic_t*, su_msg_r, su_msg_arg_t* arg) {
    std::function<void()>* fn;
    std::memcpy(&fn, arg, sizeof fn);
    (*fn)();
    delete fn;
  }

  void post(std::function<void()> fn) {
    su_msg_r m = SU_MSG_R_INIT;
    auto* heap = new std::function<void()>(std::move(fn));
    if (su_msg_create(m, su_root_task(root), su_task_null, &impl::run_posted, sizeof heap) != 0) {
      delete heap;
      throw std::runtime_error("rtp_phone: cannot reach its SIP thread");
    }
    std::memcpy(su_msg_data(m), &heap, sizeof heap);
    if (su_msg_send(m) != 0) {
      delete heap;
      throw std::runtime_error("rtp_phone: cannot reach its SIP thread");
    }
  }

  static void on_event(nua_event_t event, int status, const char*, nua_t*, nua_magic_t* magic,
                       nua_handle_t* nh, nua_hmagic_t*, const sip_t* sip, tagi_t tags[]) {
    static_cast<impl*>(magic)->event(event, status, nh, sip, tags);
  }

  static std::string body_of(const sip_t* sip) {
    auto* pl = sip ? sip->sip_payload : nullptr;
    return pl ? std::string(pl->pl_data, pl->pl_len) : std::string();
  }

  void event(nua_event_t event, int status, nua_handle_t* nh, const sip_t* sip, tagi_t tags[]) {
    switch (event) {
      case nua_r_register:
      case nua_r_unregister:
        if (!challenged(nh, status, sip, reg_tries) && status >= 200)
          notify([&] { reg_status = status; });
        return;
      case nua_r_invite:
        if (nh != call_nh || challenged(nh, status, sip, call_tries))
          return;
        if (status == 401 || status == 407) {  // refused again: nua would wait for us
          nua_handle_destroy(nh);
          return end_call();
        }
        if (!body_of(sip).empty())
          take_remote_sdp(body_of(sip));  // an answer, or early media in a 183
        if (status >= 200 && up)
          notify([&] { reinvite_status = status; });
        return;
      case nua_i_invite:
        incoming_invite(nh, sip);
        return;
      case nua_i_ack:
        if (!body_of(sip).empty())
          take_remote_sdp(body_of(sip));  // the answer to the offer in our 200
        return;
      case nua_i_info:
        notify([&] { infos.push_back(body_of(sip)); });
        return;
      case nua_i_state: {
        int cs = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (nh == call_nh && cs == nua_callstate_ready) {
          up = true;
          notify([&] { established = true; });
        } else if (cs == nua_callstate_terminated) {
          nua_handle_destroy(nh);
          if (nh == call_nh)
            end_call();
        }
        return;
      }
      case nua_i_options:  // nua answered; the handle it made is ours to free
        if (nh != call_nh && nh != reg_nh)
          nua_handle_destroy(nh);
        return;
      case nua_r_shutdown:
        if (status >= 200)
          su_root_break(root);
        return;
      default:
        return;
    }
  }

  void end_call() {
    call_nh = nullptr;
    up = false;
    notify([&] {
      in_call = established = false;
      ended = true;
    });
  }

  // Answers a 401/407 once per request (again after each 2xx, for nua's
  // refreshes); false when it is no challenge or the second one.
  bool challenged(nua_handle_t* nh, int status, const sip_t* sip, int& tries) {
    if (status >= 200 && status < 300)
      tries = 0;
    auto* au = !sip || (status != 401 && status != 407) ? nullptr
               : sip->sip_www_authenticate ? sip->sip_www_authenticate
                                           : sip->sip_proxy_authenticate;
    if (!au || tries++ > 0)
      return false;
    const char* realm = msg_params_find(au->au_params, "realm=");
    std::string cred = std::string(au->au_scheme) + ":" + (realm ? realm : "\"\"") + ":" +
                       opt.user + ":" + opt.password;
    nua_authenticate(nh, NUTAG_AUTH(cred.c_str()), TAG_END());
    return true;
  }

  void incoming_invite(nua_handle_t* nh, const sip_t* sip) {
    if (nh == call_nh) {  // re-INVITE: follow it, answer mirroring its direction
      std::string offer = body_of(sip);
      if (!offer.empty())
        take_remote_sdp(offer);
      respond_200(offer.empty());
      return;
    }
    if (call_nh) {
      nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
      return;
    }
    call_nh = nh;
    outgoing = false;
    call_tries = 0;
    offer_in = body_of(sip);
    if (!offer_in.empty())
      take_remote_sdp(offer_in);  // receive early; the phone sends once the call is up
    nua_respond(nh, SIP_180_RINGING, TAG_END());
    notify([&] {
      ++incoming;
      in_call = true;
      ended = established = false;
    });
    if (opt.auto_answer)
      respond_200(offer_in.empty());
  }

  void respond_200(bool with_offer) {
    std::string sdp = local_sdp(with_offer);
    nua_respond(call_nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
  }

  void invite(const std::string& uri) {
    std::string sdp = local_sdp(true);
    nua_invite(call_nh, TAG_IF(!uri.empty(), NUTAG_URL(uri.c_str())),
               SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_END());
  }

  void take_remote_sdp(const std::string& sdp) {
    notify([&] {
      remote_sdp = sdp;
      remote = parse_sdp(sdp);
    });
  }

  // An offer, or the answer to the remote's last offer.
  std::string local_sdp(bool offer) {
    std::lock_guard<std::mutex> l(mu);
    if (offer)
      recv_event_pt = 101;
    else
      recv_event_pt = remote.event_pt;
    bool send = offer || remote.receives;
    bool receive = !holding && (offer || remote.sends);
    std::string pt = std::to_string(recv_event_pt);
    std::string events = recv_event_pt < 0 ? std::string()
                         : "a=rtpmap:" + pt + " telephone-event/8000\r\na=fmtp:" + pt + " 0-16\r\n";
    return "v=0\r\no=rtp_phone 1 " + std::to_string(++sdp_version) +
           " IN IP4 127.0.0.1\r\ns=rtp_phone\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           std::to_string(rtp_port) + " RTP/AVP 0" + (recv_event_pt < 0 ? "" : " " + pt) +
           "\r\na=rtpmap:0 PCMU/8000\r\n" + events + "a=ptime:20\r\na=" +
           direction(send, receive) + "\r\n";
  }

  template <class Fn>
  void notify(Fn change) {
    {
      std::lock_guard<std::mutex> l(mu);
      change();
    }
    cv.notify_all();
  }

  bool reinvite(bool hold, std::chrono::milliseconds deadline) {
    notify([&] {
      holding = hold;  // silent from now, not from the answer
      reinvite_status = 0;
    });
    post([this] {
      if (!up)
        return notify([&] { reinvite_status = -1; });
      call_tries = 0;
      invite("");
    });
    return wait(deadline, [&] { return reinvite_status != 0; }) && reinvite_status >= 200 &&
           reinvite_status < 300;
  }

  bool registration(bool on, std::chrono::milliseconds deadline) {
    if (opt.registrar.empty())
      throw std::logic_error("rtp_phone: no registrar to register with");
    notify([&] { reg_status = 0; });
    post([this, on] {
      std::string aor = "sip:" + opt.user + "@" + opt.registrar;
      if (!reg_nh)
        reg_nh = nua_handle(nua, nullptr, SIPTAG_TO_STR(aor.c_str()), SIPTAG_FROM_STR(aor.c_str()),
                            TAG_END());
      reg_tries = 0;
      std::string registrar = "sip:" + opt.registrar;
      if (on)
        nua_register(reg_nh, NUTAG_REGISTRAR(registrar.c_str()), SIPTAG_EXPIRES_STR("300"),
                     TAG_END());
      else
        nua_unregister(reg_nh, NUTAG_REGISTRAR(registrar.c_str()), TAG_END());
    });
    return wait(deadline, [&] { return reg_status != 0; }) && reg_status >= 200 &&
           reg_status < 300;
  }

  // ---- RTP (media thread) --------------------------------------------------

  void media_main() {
    using steady = std::chrono::steady_clock;
    auto next = steady::now();
    while (!stop_media) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(next - steady::now());
      pollfd p{rtp_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count()))) > 0) {
        uint8_t buf[2048];
        ssize_t n;
        while ((n = ::recv(rtp_fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
          on_rtp(buf, static_cast<size_t>(n));
      }
      auto now = steady::now();
      if (now >= next) {
        send_tick();
        // After a stall, start afresh rather than send a burst.
        next = now - next > 200ms ? now + 20ms : next + 20ms;
      }
    }
  }

  void send_rtp(int pt, bool marker, uint32_t ts, const uint8_t* payload, size_t len) {
    uint8_t pkt[12 + 2 * k_packet_samples];
    pkt[0] = 0x80;  // version 2
    pkt[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | pt);
    uint16_t s = htons(seq++);
    uint32_t t = htonl(ts), id = htonl(ssrc);
    std::memcpy(pkt + 2, &s, 2);
    std::memcpy(pkt + 4, &t, 4);
    std::memcpy(pkt + 8, &id, 4);
    std::memcpy(pkt + 12, payload, len);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = remote.ip;
    to.sin_port = htons(remote.port);
    ::sendto(rtp_fd, pkt, 12 + len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

  // Every 20 ms: one audio packet, or the current digit's event packet.
  void send_tick() {
    std::lock_guard<std::mutex> l(mu);
    uint64_t first = ticks++ * k_packet_samples;
    auto ts = static_cast<uint32_t>(first);
    if (!established || holding || !remote.receives || !remote.pcmu || !remote.ip || !remote.port)
      return;
    if (!dtmf_out.empty() && remote.event_pt < 0)
      dtmf_out.clear();  // nowhere to send them
    if (!dtmf_out.empty()) {
      if (dtmf_tick == 0)
        event_ts = ts;
      if (dtmf_tick < k_event_ticks) {
        bool end = dtmf_tick == k_event_ticks - 1;
        auto duration = static_cast<uint16_t>((dtmf_tick + 1) * k_packet_samples);
        auto code = std::strchr(k_events, dtmf_out.front()) - k_events;
        const uint8_t ev[4] = {static_cast<uint8_t>(code),
                               static_cast<uint8_t>((end ? 0x80 : 0) | 10),  // E, volume -10 dBm0
                               static_cast<uint8_t>(duration >> 8),
                               static_cast<uint8_t>(duration & 0xFF)};
        for (int i = 0; i < (end ? 3 : 1); ++i)
          send_rtp(remote.event_pt, dtmf_tick == 0, event_ts, ev, sizeof ev);
        ++dtmf_tick;
        return;
      }
      if (++dtmf_tick == k_digit_ticks) {
        dtmf_out.pop_front();
        dtmf_tick = 0;
      }
    }
    uint8_t ulaw[k_packet_samples];
    auto pcm = sine(opt.tone_hz, k_amplitude, first, k_packet_samples);
    for (size_t i = 0; i < pcm.size(); ++i)
      ulaw[i] = ulaw_encode(pcm[i]);
    send_rtp(0, false, ts, ulaw, sizeof ulaw);
  }

  void on_rtp(const uint8_t* p, size_t n) {
    if (n < 12 || (p[0] >> 6) != 2)
      return;
    size_t at = 12 + 4 * (p[0] & 0x0F);  // after the CSRCs
    if (p[0] & 0x10)                      // and a header extension
      at = n < at + 4 ? n : at + 4 + 4 * ((p[at + 2] << 8) | p[at + 3]);
    size_t end = (p[0] & 0x20) ? n - p[n - 1] : n;  // padding
    if (at >= end || end > n)
      return;
    int pt = p[1] & 0x7F;
    uint32_t ts;
    std::memcpy(&ts, p + 4, 4);
    ts = ntohl(ts);
    {
      std::lock_guard<std::mutex> l(mu);
      if (pt == 0) {
        std::vector<int16_t> pcm;
        for (size_t k = at; k < end; ++k)
          pcm.push_back(ulaw_decode(p[k]));
        loud_packets += is_silent(pcm) ? 0 : 1;
        heard.insert(heard.end(), pcm.begin(), pcm.end());
        while (heard.size() > k_window)
          heard.pop_front();
        heard_samples += pcm.size();
      } else if (pt == recv_event_pt && end - at >= 4 && p[at] < 16) {
        if (!have_event_ts || ts != last_event_ts)  // one event, many packets
          digits_in += k_events[p[at]];
        have_event_ts = true;
        last_event_ts = ts;
      } else {
        return;
      }
    }
    cv.notify_all();
  }
};

// ---- the test's side ---------------------------------------------------------

rtp_phone::rtp_phone(phone_options options) : impl_(std::make_unique<impl>()) {
  auto& i = *impl_;
  i.opt = std::move(options);
  // RTP first, held: a port free_port just closed is the kernel's next pick
  // for a socket bound to port 0, and the RTP socket once took the SIP port.
  i.rtp_fd = bind_loopback(SOCK_DGRAM, i.rtp_port);
  i.sip_port = i.opt.sip_port ? i.opt.sip_port : free_port(SOCK_DGRAM);
  i.sip_thread = std::thread([&i] { i.sip_main(); });
  i.wait(std::chrono::hours(1), [&i] { return i.sip_ready; });
  if (!i.nua) {
    i.sip_thread.join();
    ::close(i.rtp_fd);
    throw std::runtime_error("rtp_phone: cannot bind SIP to 127.0.0.1:" +
                             std::to_string(i.sip_port) + " (in use?)");
  }
  i.media_thread = std::thread([&i] { i.media_main(); });
}

rtp_phone::~rtp_phone() {
  auto& i = *impl_;
  i.post([&i] { nua_shutdown(i.nua); });
  i.sip_thread.join();
  i.stop_media = true;
  i.media_thread.join();
  ::close(i.rtp_fd);
}

uint16_t rtp_phone::sip_port() const { return impl_->sip_port; }

std::string rtp_phone::uri() const {
  return "sip:" + impl_->opt.user + "@127.0.0.1:" + std::to_string(impl_->sip_port);
}

bool rtp_phone::register_now(std::chrono::milliseconds deadline) {
  return impl_->registration(true, deadline);
}

bool rtp_phone::unregister(std::chrono::milliseconds deadline) {
  return impl_->registration(false, deadline);
}

void rtp_phone::call(const std::string& uri) {
  auto& i = *impl_;
  i.notify([&] {
    if (i.in_call)
      throw std::logic_error("rtp_phone: one call at a time");
    i.in_call = true;
    i.ended = i.established = false;
  });
  i.post([&i, uri] {
    std::string from = "sip:" + i.opt.user + "@" +
                       (i.opt.registrar.empty() ? "127.0.0.1:" + std::to_string(i.sip_port)
                                                : i.opt.registrar);
    i.call_nh = nua_handle(i.nua, nullptr, SIPTAG_TO_STR(uri.c_str()),
                           SIPTAG_FROM_STR(from.c_str()), TAG_END());
    i.outgoing = true;
    i.call_tries = 0;
    i.invite(uri);
  });
}

bool rtp_phone::wait_incoming(std::chrono::milliseconds deadline) {
  auto& i = *impl_;
  bool came = i.wait(deadline, [&] { return i.incoming > i.incoming_seen; });
  std::lock_guard<std::mutex> l(i.mu);
  i.incoming_seen = i.incoming;
  return came;
}

void rtp_phone::answer() {
  impl_->post([&i = *impl_] {
    if (i.call_nh && !i.outgoing && !i.up)
      i.respond_200(i.offer_in.empty());
  });
}

bool rtp_phone::wait_established(std::chrono::milliseconds deadline) {
  return impl_->wait(deadline, [this] { return impl_->established; });
}

bool rtp_phone::hold(std::chrono::milliseconds deadline) { return impl_->reinvite(true, deadline); }

bool rtp_phone::resume(std::chrono::milliseconds deadline) {
  return impl_->reinvite(false, deadline);
}

void rtp_phone::hangup() {
  impl_->post([&i = *impl_] {
    if (!i.call_nh)
      return;
    if (i.up)
      nua_bye(i.call_nh, TAG_END());
    else if (i.outgoing)
      nua_cancel(i.call_nh, TAG_END());
    else
      nua_respond(i.call_nh, SIP_603_DECLINE, TAG_END());
  });
}

bool rtp_phone::wait_ended(std::chrono::milliseconds deadline) {
  return impl_->wait(deadline, [this] { return impl_->ended; });
}

std::string rtp_phone::last_remote_sdp() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->remote_sdp;
}

void rtp_phone::send_dtmf_rfc4733(const std::string& digits) {
  for (char d : digits)
    if (!std::strchr(k_events, d) || d == '\0')
      throw std::invalid_argument(std::string("rtp_phone: no DTMF event for '") + d + "'");
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->dtmf_out.insert(impl_->dtmf_out.end(), digits.begin(), digits.end());
}

std::string rtp_phone::rfc4733_digits_received() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->digits_in;
}

bool rtp_phone::wait_rfc4733_digits(const std::string& digits, std::chrono::milliseconds deadline) {
  return impl_->wait(deadline, [&] { return impl_->digits_in == digits; });
}

void rtp_phone::send_dtmf_info(char digit) {
  impl_->post([&i = *impl_, body = std::string("Signal=") + digit + "\r\nDuration=160\r\n"] {
    if (i.up)
      nua_info(i.call_nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
               SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
  });
}

std::vector<std::string> rtp_phone::infos_received() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->infos;
}

bool rtp_phone::wait_infos(size_t count, std::chrono::milliseconds deadline) {
  return impl_->wait(deadline, [&] { return impl_->infos.size() >= count; });
}

bool rtp_phone::wait_hears(double hz, std::chrono::milliseconds deadline) {
  auto& i = *impl_;
  std::unique_lock<std::mutex> l(i.mu);
  uint64_t from = i.heard_samples;
  return i.cv.wait_for(l, deadline, [&] {
    return i.heard_samples >= from + k_window &&
           has_tone(std::vector<int16_t>(i.heard.begin(), i.heard.end()), hz);
  });
}

bool rtp_phone::wait_hears_other_than(double hz, std::chrono::milliseconds deadline) {
  auto& i = *impl_;
  std::unique_lock<std::mutex> l(i.mu);
  uint64_t from = i.heard_samples;
  return i.cv.wait_for(l, deadline, [&] {
    if (i.heard_samples < from + k_window)
      return false;
    const std::vector<int16_t> w(i.heard.begin(), i.heard.end());
    return !is_silent(w) && (hz <= 0 || !has_tone(w, hz));
  });
}

bool rtp_phone::wait_hears_audio(std::chrono::milliseconds deadline) {
  auto& i = *impl_;
  std::unique_lock<std::mutex> l(i.mu);
  uint64_t from = i.loud_packets;
  return i.cv.wait_for(l, deadline, [&] { return i.loud_packets >= from + k_loud_packets; });
}

bool rtp_phone::hears_silence_for(std::chrono::milliseconds window) {
  return !wait_hears_audio(window);
}

}  // namespace sipcc::test
