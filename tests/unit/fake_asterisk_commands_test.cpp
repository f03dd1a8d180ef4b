// The fake-asterisk console language: every line a person may type, and what
// the tool is told to do (or the error it prints).
#include "fake_asterisk_commands.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace sipcc::test {

// So that a failing row prints what was parsed.
void PrintTo(const console_command& c, std::ostream* os) {
  *os << "command " << static_cast<int>(c.what) << " '" << c.resource << "' '" << c.capture << "' "
      << c.status << " '" << c.caller << "'";
}
void PrintTo(const console_error& e, std::ostream* os) { *os << "error '" << e.message << "'"; }

namespace {

using verb = console_command::verb;

console_command cmd(verb what, std::string resource = "", std::string capture = "",
                    int status = 0, std::string caller = "") {
  return {what, std::move(resource), std::move(capture), status, std::move(caller)};
}

TEST(FakeAsteriskCommands, ParsesEveryLineOrSaysWhatWasExpected) {
  struct row {
    std::string line;
    console_parse want;
  };
  const std::vector<row> rows = {
      {"notify 1000 presence-notify-busy-inuse.sip",
       cmd(verb::notify, "1000", "presence-notify-busy-inuse.sip")},
      {"  notify\t1000   presence-notify-open  ",
       cmd(verb::notify, "1000", "presence-notify-open.sip")},
      {"notify 1000", console_error{"usage: notify <resource> <capture>"}},
      {"notify 1000 ../x.sip",
       console_error{"the capture is a file name in tests/data/asterisk, not a path"}},
      {"terminate 1002", cmd(verb::terminate, "1002")},
      {"terminate", console_error{"usage: terminate <resource>"}},
      {"reject 1000 403", cmd(verb::reject, "1000", "", 403)},
      {"reject 1000 699", cmd(verb::reject, "1000", "", 699)},
      {"reject 1000 200", console_error{"the status of a rejection is 300..699, not '200'"}},
      {"reject 1000 4o3", console_error{"the status of a rejection is 300..699, not '4o3'"}},
      {"reject 1000 +403", console_error{"the status of a rejection is 300..699, not '+403'"}},
      {"accept 1000", cmd(verb::accept, "1000")},
      {"call 8000", cmd(verb::call, "8000")},
      {"call 8000 +15551234", cmd(verb::call, "8000", "", 0, "+15551234")},
      {"call", console_error{"usage: call <number> [<caller>]"}},
      {"call 8000 5551234 5550000", console_error{"usage: call <number> [<caller>]"}},
      {"call 8000@127.0.0.1",
       console_error{"a number has only letters, digits, _ + -, not '8000@127.0.0.1'"}},
      {"call 8000 <sip:x>",
       console_error{"a number has only letters, digits, _ + -, not '<sip:x>'"}},
      {"bye", cmd(verb::bye)},
      {"bye 8000", console_error{"usage: bye"}},
      {"answer 2000", cmd(verb::answer, "2000")},
      {"answer", console_error{"usage: answer <dn>"}},
      {"hangup 2000", cmd(verb::hangup, "2000")},
      {"autoanswer 2001", cmd(verb::autoanswer, "2001")},
      {"busy 2001", cmd(verb::busy, "2001")},
      {"busy 2001 486", console_error{"usage: busy <dn>"}},
      {"manual 2001", cmd(verb::manual, "2001")},
      {"list", cmd(verb::list)},
      {"subs", cmd(verb::subs)},
      {"help", cmd(verb::help)},
      {"quit", cmd(verb::quit)},
      {"list all", console_error{"usage: list"}},
      {"", cmd(verb::none)},
      {"   ", cmd(verb::none)},
      {"# phone 1000 registers", cmd(verb::none)},
      {"Notify 1000 x.sip", console_error{"unknown command 'Notify' (try help)"}},
      {"ring 2000", console_error{"unknown command 'ring' (try help)"}},
  };
  for (const row& r : rows) {
    SCOPED_TRACE("'" + r.line + "'");
    EXPECT_EQ(parse_console_command(r.line), r.want);
  }
}

TEST(FakeAsteriskCommands, HelpListsEveryCommandWithItsArguments) {
  const std::string help = console_help();
  for (const char* usage :
       {"notify <resource> <capture>", "terminate <resource>", "reject <resource> <status>",
        "accept <resource>", "call <number> [<caller>]", "bye", "answer <dn>", "hangup <dn>",
        "autoanswer <dn>", "busy <dn>", "manual <dn>", "list", "subs", "help", "quit"})
    EXPECT_NE(help.find("  " + std::string(usage) + " "), std::string::npos) << usage;
}

TEST(FakeAsteriskCommands, SipccAddressIsALoopbackPort) {
  struct row {
    std::string address;
    std::variant<std::uint16_t, console_error> want;
  };
  const auto bad = [](const std::string& a) {
    return console_error{"sipcc's address is 127.0.0.1:<port> (the fake calls on the loopback "
                         "only), not '" + a + "'"};
  };
  const std::vector<row> rows = {
      {"127.0.0.1:5060", std::uint16_t{5060}},
      {"127.0.0.1:65535", std::uint16_t{65535}},
      {"127.0.0.1:1", std::uint16_t{1}},
      {"127.0.0.1:0", bad("127.0.0.1:0")},
      {"127.0.0.1:65536", bad("127.0.0.1:65536")},
      {"127.0.0.1:123456", bad("127.0.0.1:123456")},
      {"127.0.0.1:", bad("127.0.0.1:")},
      {"127.0.0.1:50x0", bad("127.0.0.1:50x0")},
      {"10.0.0.1:5060", bad("10.0.0.1:5060")},
      {"localhost:5060", bad("localhost:5060")},
      {"5060", bad("5060")},
      {"", bad("")},
  };
  for (const row& r : rows) {
    SCOPED_TRACE("'" + r.address + "'");
    EXPECT_EQ(parse_sipcc_address(r.address), r.want);
  }
}

}  // namespace
}  // namespace sipcc::test
