// The fake-asterisk console language: every line a person may type, and what
// the tool is told to do (or the error it prints).
#include "fake_asterisk_commands.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace sipcc::test {

// So that a failing row prints what was parsed.
void PrintTo(const console_command& c, std::ostream* os) {
  *os << "command " << static_cast<int>(c.what) << " '" << c.resource << "' '" << c.capture << "' "
      << c.status;
}
void PrintTo(const console_error& e, std::ostream* os) { *os << "error '" << e.message << "'"; }

namespace {

using verb = console_command::verb;

console_command cmd(verb what, std::string resource = "", std::string capture = "",
                    int status = 0) {
  return {what, std::move(resource), std::move(capture), status};
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
      {"list", cmd(verb::list)},
      {"subs", cmd(verb::subs)},
      {"help", cmd(verb::help)},
      {"quit", cmd(verb::quit)},
      {"list all", console_error{"usage: list"}},
      {"", cmd(verb::none)},
      {"   ", cmd(verb::none)},
      {"# phone 1000 registers", cmd(verb::none)},
      {"Notify 1000 x.sip", console_error{"unknown command 'Notify' (try help)"}},
      {"bye", console_error{"unknown command 'bye' (try help)"}},
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
        "accept <resource>", "list", "subs", "help", "quit"})
    EXPECT_NE(help.find("  " + std::string(usage) + " "), std::string::npos) << usage;
}

}  // namespace
}  // namespace sipcc::test
