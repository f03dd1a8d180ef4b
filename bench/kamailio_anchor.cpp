#include "kamailio_anchor.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "bench_system.hpp"
#include "loopback.hpp"
#include "sipp.hpp"

namespace sipcc::bench {
namespace {

using namespace std::chrono_literals;

// Where Debian's package puts the modules (by architecture).
std::string module_dir() {
  for (const char* d : {"/usr/lib/x86_64-linux-gnu/kamailio/modules",
                        "/usr/lib/aarch64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules",
                        "/usr/lib64/kamailio/modules"})
    if (std::filesystem::exists(std::string(d) + "/tm.so"))
      return d;
  return {};
}

// A stateful proxy with record-routing: every request of a dialog through
// tm, the in-dialog ones by Route or, without one, to the callee (what a SIP
// call costs a proxy that keeps transactions, as Kamailio's default
// configuration does).
std::string config(const std::string& modules, uint16_t port, uint16_t uas_port) {
  return fmt::format(R"(#!KAMAILIO
debug=1
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"

request_route {{
  if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
  if (has_totag()) {{
    # SIPp's built-in uac sends its ACK and BYE without the Route.
    if (!loose_route()) {{ $du = "sip:127.0.0.1:{uas}"; }}
    t_relay();
    exit;
  }}
  if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
  record_route();
  $du = "sip:127.0.0.1:{uas}";
  if (!t_relay()) {{ sl_reply_error(); }}
  exit;
}}
)",
                     fmt::arg("port", port), fmt::arg("modules", modules),
                     fmt::arg("uas", uas_port));
}

// The processes of Kamailio's tree: the main one and the workers it forks.
std::vector<pid_t> tree_of(pid_t root) {
  std::vector<pid_t> out{root};
  DIR* d = ::opendir("/proc");
  if (!d)
    return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == root)
      continue;
    const auto fields = proc_stat_fields(pid);  // field 4, the parent's pid, is [1]
    if (fields.size() > 1 && std::atoi(fields[1].c_str()) == root)
      out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

int64_t tree_ticks(pid_t root) {
  int64_t sum = 0;
  for (pid_t p : tree_of(root))
    sum += process_ticks(p);
  return sum;
}

}  // namespace

std::optional<anchor_result> kamailio_anchor(double rate, int duration_s, double hold_s) {
  // In sbin, off a user's PATH.
  const std::string kamailio = test::find_program("kamailio", {"/usr/sbin", "/sbin"});
  const std::string modules = module_dir();
  if (kamailio.empty() || modules.empty())
    return std::nullopt;
  char tmpl[] = "/tmp/sipcc-anchor-XXXXXX";
  if (!::mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  const std::string dir = tmpl;
  const uint16_t proxy_port = test::free_port(SOCK_DGRAM);
  const uint16_t uas_port = test::free_port(SOCK_DGRAM);
  const uint16_t uac_port = test::free_port(SOCK_DGRAM);
  {
    std::ofstream cfg(dir + "/kamailio.cfg");
    cfg << config(modules, proxy_port, uas_port);
  }
  anchor_result r;
  {
    test::child_process version({kamailio, "-v"}, dir + "/version");
    version.wait_exit(10s);
    std::istringstream first(version.output(false));
    std::getline(first, r.version);  // "version: kamailio 5.6.3 (x86_64/linux) "
    if (r.version.rfind("version: ", 0) == 0)
      r.version.erase(0, 9);
    while (!r.version.empty() && r.version.back() == ' ')
      r.version.pop_back();
  }
  const double sipp_before = rusage_ms(RUSAGE_CHILDREN);
  auto uas = std::make_unique<test::child_process>(
      std::vector<std::string>{"sipp", "-sn", "uas", "-i", "127.0.0.1", "-p",
                               std::to_string(uas_port), "-nostdin"},
      dir + "/uas", test::child_process::environment{}, dir);
  // 512 MB of shared memory: tm keeps each transaction for its wait timer,
  // and 64 MB ran out at 700 calls/s.
  test::child_process proxy({kamailio, "-f", dir + "/kamailio.cfg", "-DD", "-E", "-m", "512",
                             "-M", "16", "-w", dir, "-P", dir + "/kamailio.pid"},
                            dir + "/kamailio");
  if (!test::wait_udp_bound(proxy_port, 10s) || !test::wait_udp_bound(uas_port, 10s))
    throw std::runtime_error("kamailio or its sipp did not start (logs in " + dir + ")");
  const int64_t ticks_before = tree_ticks(proxy.pid());
  r.calls = static_cast<int64_t>(std::lround(rate * duration_s));
  const int hold_ms = static_cast<int>(std::lround(hold_s * 1000));
  const auto limit = static_cast<int64_t>(rate * (hold_s + 35)) + 10;
  const int timeout_s = duration_s + static_cast<int>(hold_s) + 60;
  const auto start = clock_type::now();
  test::child_process uac(
      {"sipp", "-sn", "uac", "-s", kRoutingPoint, "-i", "127.0.0.1", "-p",
       std::to_string(uac_port), "-r", fmt::format("{:g}", rate), "-rp", "1000", "-m",
       std::to_string(r.calls), "-l", std::to_string(limit), "-d", std::to_string(hold_ms),
       "-recv_timeout", "35000", "-timeout", std::to_string(timeout_s) + "s", "-nostdin",
       "-trace_stat", "-stf", dir + "/uac.csv", "-fd", "1",
       "127.0.0.1:" + std::to_string(proxy_port)},
      dir + "/uac", test::child_process::environment{}, dir);
  int code = -1;
  for (auto until = start + std::chrono::seconds(timeout_s + 15); code == -1;) {
    check_stop();
    if (clock_type::now() > until)
      throw std::runtime_error("the anchor's sipp did not end (logs in " + dir + ")");
    code = uac.wait_exit(1s);
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  const int64_t ticks = tree_ticks(proxy.pid()) - ticks_before;
  uas->stop();
  uas.reset();
  const double sipp_ms = rusage_ms(RUSAGE_CHILDREN) - sipp_before;

  const int64_t done = stat_count(sipp_final_stats(dir + "/uac.csv"), "SuccessfulCall(C)");
  r.failed = r.calls - done;
  r.done_per_s = static_cast<double>(done) / std::max<double>(duration_s, seconds - hold_s);
  if (done > 0) {
    r.proxy_ms = static_cast<double>(ticks) * 1000.0 / clock_ticks() / static_cast<double>(done);
    r.sipp_ms = sipp_ms / static_cast<double>(done);
  }
  proxy.stop();
  if (r.failed == 0)
    std::filesystem::remove_all(dir);
  return r;
}

}  // namespace sipcc::bench
