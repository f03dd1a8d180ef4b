// A linter for the shipped Asterisk configuration (deploy/asterisk/*.conf):
// a small parser for Asterisk's INI dialect and cross-file reference checks.
// Pure: text in, findings out, so a broken config can be tested from a
// string. Only what the shipped files use is understood; anything else is a
// parse error rather than silently ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc::test {

struct conf_entry {
  std::string key;    // "exten" for "exten => ..."; "=" and "=>" are the same
  std::string value;  // comment removed, blanks trimmed, "\;" unescaped
  int line = 0;
};

struct conf_section {
  std::string name;
  bool is_template = false;  // [name](!): not an object, only inherited from
  // Inherited entries first (templates in the order named), then its own:
  // the last value of a key wins, as in Asterisk.
  std::vector<conf_entry> entries;
  int line = 0;

  std::vector<std::string> values(std::string_view key) const;
  std::optional<std::string> value(std::string_view key) const;  // last one
};

struct conf_file {
  // In file order. pjsip.conf repeats a name with different type= values.
  std::vector<conf_section> sections;
  std::vector<std::string> errors;  // "line N: reason"

  // A non-template section of that name whose type= is `type` ("" = any).
  const conf_section* find(std::string_view name, std::string_view type = "") const;
};

// Grammar: "[name]", "[name](!)", "[name](tmpl[,tmpl...])", "[name](!,tmpl)";
// "key = value", "key => value"; ";" starts a comment unless written "\;".
// A template must be defined before it is used.
conf_file parse_asterisk_conf(std::string_view text);

// The host of an address as pjsip.conf writes it: "h", "h:port", "[v6]:port",
// "h/mask", "sip:[user@]h[:port][;params]".
std::string address_host(std::string_view address);

// "a, b,c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> split_list(std::string_view text, char separator = ',');

// One "exten =>" or "same =>" line of extensions.conf.
struct dialplan_step {
  std::string context;
  std::string exten;     // for "same =>", the exten of the line before
  std::string priority;  // "1", "n", "hint"...
  std::string data;      // after the priority: application, or hint devices
  int line = 0;
};
std::vector<dialplan_step> dialplan_steps(const conf_file& extensions);

struct asterisk_conf {
  conf_file pjsip;
  conf_file extensions;
  conf_file voicemail;
};

// Each check returns its findings, one readable line each; empty = clean.
using finding_list = std::vector<std::string>;

// Parse errors of all three files.
finding_list check_parse(const asterisk_conf& conf);
// Every endpoint has aors= naming existing aors and, if set, an existing auth.
finding_list check_endpoint_refs(const asterisk_conf& conf);
// Every identify names an existing endpoint and has a match=.
finding_list check_identifies(const asterisk_conf& conf);
// Every PJSIP/<x> device of a hint names an existing endpoint.
finding_list check_hint_devices(const asterisk_conf& conf);
// Every Dial() to PJSIP/<x> or PJSIP/<user>@<x> names an existing endpoint;
// ${EXTEN} is replaced by the extension when that is not a pattern.
finding_list check_dial_endpoints(const asterisk_conf& conf);
// Every context= and subscribe_context= of an endpoint and every include =>
// names a context of extensions.conf.
finding_list check_contexts(const asterisk_conf& conf);
// Every list_item of a resource_list is another list or has a hint in the
// subscribe context (subscribe_context=, else context=) of every endpoint
// that may subscribe.
finding_list check_resource_lists(const asterisk_conf& conf);
// Every mailboxes= box of pjsip.conf exists in voicemail.conf.
finding_list check_mailboxes(const asterisk_conf& conf);
// Every address of pjsip.conf (transport bind=, which must be set, aor
// contact=, identify match=) is on this host (127.0.0.0/8, ::1, localhost):
// the shipped files neither listen on the network nor send a call off the
// host until the operator opens them on purpose.
finding_list check_host_only(const asterisk_conf& conf);

// Every endpoint of `agent_endpoints` exists and refuses its phone's own
// transfers (allow_transfer=no, its own or inherited): transfers are desktop
// requests, and a phone's REFER to Asterisk would bypass sipcc.
finding_list check_agent_transfers(const conf_file& pjsip,
                                   const std::vector<std::string>& agent_endpoints);

// Every Gosub()/Goto() naming a context (context,exten,priority) names an
// existing context that has that extension.
finding_list check_gosubs(const asterisk_conf& conf);

// Whether an extension pattern matches a dialled extension: a literal, or
// "_" followed by X [0-9], Z [1-9], N [2-9], [set], "." (one or more of
// anything) and "!" (zero or more); anything else matches itself.
bool exten_matches(std::string_view pattern, std::string_view exten);

// The context whose extension a call to `exten` in `context` reaches, as
// Asterisk searches: the context itself, then its includes in order.
std::optional<std::string> find_extension(const conf_file& extensions, std::string_view context,
                                          std::string_view exten);

// Whether `context` of extensions.conf has an "exten => <exten>,hint,..." line.
bool has_hint(const conf_file& extensions, std::string_view context,
              std::string_view exten);

// Whether voicemail.conf defines `box` written "<number>[@<context>]"
// (context "default" when omitted).
bool has_mailbox(const conf_file& voicemail, std::string_view box);

}  // namespace sipcc::test
