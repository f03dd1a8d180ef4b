#include "real_asterisk.hpp"
#include "sip_capture.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace sipcc::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string k_shipped = SIPCC_SOURCE_DIR "/deploy/asterisk";

// Replaces every match of `pattern`; throws when there is none, so a shipped
// file that changes shape fails the suite instead of running unadapted.
std::string must_replace(const std::string& text, const std::string& pattern,
                         const std::string& with, const std::string& file) {
  std::regex re(pattern);
  if (!std::regex_search(text, re))
    throw std::runtime_error(file + ": the interop suite expects a line matching " + pattern);
  return std::regex_replace(text, re, with);
}

std::string tail(const std::string& text, size_t n) {
  return text.size() > n ? text.substr(text.size() - n) : text;
}

}  // namespace

std::string asterisk_prefix() {
  if (const char* p = std::getenv("SIPCC_ASTERISK_PREFIX"); p && *p)
    return p;
  return SIPCC_ASTERISK_PREFIX;
}

std::string shipped_sipcc_yaml(uint16_t asterisk_port) {
  const std::string name = "deploy/sipcc.yaml";
  std::string text = read_file(SIPCC_SOURCE_DIR "/" + name);
  text = must_replace(text, R"(nats-url: nats://127\.0\.0\.1:4222)", "nats-url: {nats-url}", name);
  text = must_replace(text, R"(bind: 127\.0\.0\.1:5060)", "bind: 127.0.0.1:{edge-port}", name);
  return must_replace(text, R"(address: 127\.0\.0\.1:5070)",
                      "address: 127.0.0.1:" + std::to_string(asterisk_port), name);
}

real_asterisk::real_asterisk(asterisk_options opts) : opts_(opts) {
  char tmpl[] = "/tmp/sipcc-ast-XXXXXX";
  if (!::mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp /tmp/sipcc-ast-XXXXXX failed");
  dir_ = tmpl;
  for (auto sub : {"etc", "spool", "run", "log", "lib", "db", "keys", "cache"})
    fs::create_directories(dir_ + "/" + sub);
  write_configuration();
}

real_asterisk::~real_asterisk() {
  stop();
  // Its spool holds voicemail and recordings: kept for a failed test only.
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void real_asterisk::write_configuration() const {
  const std::string etc = dir_ + "/etc/";
  for (auto& f : fs::directory_iterator(k_shipped)) {
    if (f.path().extension() != ".conf")
      continue;
    std::string text = read_file(f.path().string());
    const std::string name = f.path().filename();
    if (name == "pjsip.conf") {
      const std::string port = std::to_string(opts_.sip_port);
      text = must_replace(text, R"(bind=[0-9.]+:5070)", "bind=127.0.0.1:" + port, name);
      // Whole ports only: edge1's port put in first may itself begin with
      // 5062 (50625 became 369145 when edge2's replacement followed).
      text = must_replace(text, R"(127\.0\.0\.1:5060\b)",
                          "127.0.0.1:" + std::to_string(opts_.sipcc_port), name);
      const uint16_t edge2 = opts_.sipcc_port2 ? opts_.sipcc_port2 : free_port(SOCK_DGRAM);
      text = must_replace(text, R"(127\.0\.0\.1:5062\b)", "127.0.0.1:" + std::to_string(edge2),
                          name);
    }
    std::ofstream(etc + name) << text;
  }
  const std::string prefix = asterisk_prefix();
  std::ofstream(etc + "asterisk.conf")
      << "[directories]\n"
      << "astetcdir => " << etc << "\n"
      << "astmoddir => " << prefix << "/lib/asterisk/modules\n"
      << "astdatadir => " << prefix << "/var/lib/asterisk\n"
      << "astvarlibdir => " << dir_ << "/lib\n"
      << "astdbdir => " << dir_ << "/db\n"
      << "astkeydir => " << dir_ << "/keys\n"
      << "astspooldir => " << spool() << "\n"
      << "astrundir => " << dir_ << "/run\n"
      << "astlogdir => " << dir_ << "/log\n"
      << "astcachedir => " << dir_ << "/cache\n"
      << "astsbindir => " << prefix << "/sbin\n"
      << "[options]\nverbose = 3\nnocolor = yes\n";
  std::ofstream(etc + "modules.conf") << "[modules]\nautoload = yes\n";
  std::ofstream(etc + "logger.conf")
      << "[general]\n[logfiles]\nmessages.log => notice,warning,error,verbose\n";
  // Each run its own RTP range, so that two runs on one machine never meet;
  // far from the ephemeral range the tests' own free ports come from.
  const int base = 10000 + ((::getpid() + 100 * opts_.rtp_block) % 200) * 100;
  std::ofstream(etc + "rtp.conf") << "[general]\nrtpstart = " << base
                                  << "\nrtpend = " << base + 98 << "\n";
}

void real_asterisk::start() {
  const std::string bin = asterisk_prefix() + "/sbin/asterisk";
  if (::access(bin.c_str(), X_OK) != 0)
    throw std::runtime_error(
        bin + " is missing: scripts/sipcc.sh test builds it (../shared/asterisk/build.sh)");
  proc_ = std::make_unique<child_process>(
      std::vector<std::string>{bin, "-C", dir_ + "/etc/asterisk.conf", "-f", "-n"},
      dir_ + "/asterisk");
  // The control socket appears some time after the process: retry until the
  // CLI answers, then let Asterisk itself say when it has loaded everything.
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until) {
    if (cli("core waitfullybooted").find("fully booted") != std::string::npos) {
      cli("pjsip set logger on");
      return;
    }
    if (proc_->wait_exit(100ms) != -1)
      break;
  }
  throw std::runtime_error("Asterisk did not boot; its log:\n" + tail(log(), 4000));
}

void real_asterisk::stop() {
  if (!proc_)
    return;
  cli("core stop now");
  if (proc_->wait_exit(10s) == -1)
    proc_->kill_now();
  proc_.reset();
}

void real_asterisk::kill() {
  if (proc_)
    proc_->kill_now();
  proc_.reset();
}

std::string real_asterisk::cli(const std::string& command) const {
  const std::string bin = asterisk_prefix() + "/sbin/asterisk";
  // A CLI that hangs (an Asterisk stuck in shutdown) must not hang the test.
  std::string cmd = "timeout 30 '" + bin + "' -C '" + dir_ + "/etc/asterisk.conf' -rx '" + command +
                    "' 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
      out.append(buf.data(), n);
    ::pclose(p);
  }
  return out;
}

bool real_asterisk::wait_cli(const std::string& command, const std::string& text,
                             std::chrono::milliseconds deadline) const {
  return wait_cli(
      command, [&](const std::string& out) { return out.find(text) != std::string::npos; },
      deadline);
}

bool real_asterisk::wait_cli(const std::string& command,
                             const std::function<bool(const std::string&)>& ok,
                             std::chrono::milliseconds deadline) const {
  return wait_until([&] { return ok(cli(command)); }, deadline);
}

std::vector<inbound_subscription> real_asterisk::inbound_subscriptions() const {
  // Each subscription is a block "Endpoint: ...\nResource: <resource>/<event>\n
  //   Expiry: <seconds>  <Call-ID>"; the event names have no '/'.
  static const std::regex block(R"(\nResource: (\S+)/([^/\s]+)\n +Expiry: +-?\d+ +(\S+))");
  const std::string out = cli("pjsip show subscriptions inbound");
  std::vector<inbound_subscription> subs;
  for (std::sregex_iterator it(out.begin(), out.end(), block), end; it != end; ++it)
    subs.push_back({(*it)[1], (*it)[2], (*it)[3]});
  return subs;
}

bool real_asterisk::wait_no_calls(std::chrono::milliseconds deadline) const {
  // A line of its own: "10 active calls" is not "0 active calls".
  const std::regex none(R"((^|\n)0 active calls?\b)");
  return wait_cli(
      "core show channels count",
      [&](const std::string& out) { return std::regex_search(out, none); }, deadline);
}

std::string real_asterisk::log() const {
  const std::string messages = dir_ + "/log/messages.log";
  return (fs::exists(messages) ? read_file(messages) : "") + (proc_ ? proc_->output(false) : "");
}

}  // namespace sipcc::test
