// Who may start a call at sipcc (trusted_peers): the configured Asterisk
// peers by source IP:port, registered phones from their binding's address,
// nobody else; and the address forms it compares.
#include "sipcc/trusted_peers.hpp"

#include <gtest/gtest.h>

namespace sipcc {
namespace {

TEST(CanonicalAddress, OneTextFormPerAddress) {
  struct address_case {
    const char* host;
    uint16_t port;
    std::optional<std::string> canonical;
  };
  const std::vector<address_case> cases = {
      {"127.0.0.1", 5070, "127.0.0.1:5070"},
      {"::1", 5060, "[::1]:5060"},
      {"[::1]", 5060, "[::1]:5060"},
      {"[0:0::1]", 5060, "[::1]:5060"},
      {"[2001:DB8::A]", 5080, "[2001:db8::a]:5080"},
      {"[::ffff:127.0.0.1]", 5070, "127.0.0.1:5070"},  // IPv4 through a dual-stack socket
      // Names, and IPv4 in brackets or with leading zeros, are not addresses.
      {"pbx.example", 5070, std::nullopt},
      {"[127.0.0.1]", 5070, std::nullopt},
      {"127.0.0.01", 5070, std::nullopt},
      {"", 5070, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host);
    EXPECT_EQ(canonical_address(c.host, c.port), c.canonical);
  }
}

TEST(ContactNames, HostAndPortOfTheUri) {
  struct contact_case {
    const char* contact;
    const char* source;
    bool names;
  };
  const std::vector<contact_case> cases = {
      {"sip:2000@127.0.0.1:5062;transport=udp", "127.0.0.1:5062", true},
      {"<sip:2000@127.0.0.1:5062>", "127.0.0.1:5062", true},
      {"sip:2000@127.0.0.1", "127.0.0.1:5060", true},          // no port: 5060
      {"sip:127.0.0.1:5062", "127.0.0.1:5062", true},          // no user
      {"sip:2000@[0::1]:5062", "[::1]:5062", true},            // IPv6, any spelling
      {"sip:2000@[::1]", "[::1]:5060", true},
      {"sip:2000@127.0.0.1:5062", "127.0.0.1:5099", false},    // same host, other port
      {"sip:2000@127.0.0.1:5062", "10.0.0.1:5062", false},
      {"sip:2000@phone.example:5062", "127.0.0.1:5062", false},  // a name never matches
      {"sip:2000@127.0.0.1:50x2", "127.0.0.1:5062", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.contact);
    EXPECT_EQ(contact_names(c.contact, c.source), c.names);
  }
}

TEST(TrustedPeers, ClassifiesTheSenderOfAnInvite) {
  const trusted_peers peers({{"127.0.0.1", 5070}, {"10.0.0.8", 5070}, {"[0::1]", 5070}});
  const std::vector<std::string> phone = {"sip:2000@127.0.0.1:5062;transport=udp",
                                          "sip:2000@10.0.0.9:5060"};
  struct sender_case {
    const char* what;
    std::string source;
    std::vector<std::string> contacts;
    caller_kind kind;
  };
  const std::vector<sender_case> cases = {
      {"the configured Asterisk", "127.0.0.1:5070", {}, caller_kind::asterisk},
      {"a further peer", "10.0.0.8:5070", {}, caller_kind::asterisk},
      {"a peer by IPv6", "[::1]:5070", {}, caller_kind::asterisk},
      {"Asterisk calling with a registered phone's From", "127.0.0.1:5070", phone,
       caller_kind::asterisk},
      {"the phone from its first binding", "127.0.0.1:5062", phone,
       caller_kind::registered_phone},
      {"the phone from its second binding", "10.0.0.9:5060", phone,
       caller_kind::registered_phone},
      // The stranger: Asterisk's host, another port.
      {"Asterisk's host, another port", "127.0.0.1:5099", {}, caller_kind::stranger},
      {"a peer's host, another port", "10.0.0.8:5071", {}, caller_kind::stranger},
      {"a registered DN's From from elsewhere", "127.0.0.1:5099", phone, caller_kind::stranger},
      {"no source known", "", phone, caller_kind::stranger},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(peers.classify(c.source, c.contacts), c.kind);
  }
}

}  // namespace
}  // namespace sipcc
