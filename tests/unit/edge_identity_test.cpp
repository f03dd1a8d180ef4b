// Which edge a process is: the configured id and bind, or its environment's.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "sip-edge/model/edge_identity.hpp"

namespace sipcc::edge {
namespace {

TEST(EdgeIdentity, TheEnvironmentNamesAnotherEdgeOfTheSameConfiguration) {
  config cfg;
  cfg.edge_id = "edge1";
  cfg.sip_bind = {"127.0.0.1", 5060};
  struct row {
    const char* instance;
    const char* bind;
    std::string id, bind_str;
  };
  const std::vector<row> rows = {
      {nullptr, nullptr, "edge1", "127.0.0.1:5060"},
      {"", "", "edge1", "127.0.0.1:5060"},
      {"edge2", nullptr, "edge2", "127.0.0.1:5060"},
      {"edge_2-b", "127.0.0.1:5062", "edge_2-b", "127.0.0.1:5062"},
      {nullptr, "sip-edge-2.local:65535", "edge1", "sip-edge-2.local:65535"},
  };
  for (const auto& r : rows) {
    auto id = edge_identity_of(cfg, r.instance, r.bind);
    EXPECT_EQ(id.id, r.id);
    EXPECT_EQ(id.bind.str(), r.bind_str);
  }
}

TEST(EdgeIdentity, ABadVariableIsNamedInTheError) {
  config cfg;
  struct row {
    const char* instance;
    const char* bind;
    std::string names;
  };
  const std::vector<row> rows = {
      {"edge.2", nullptr, "SIPCC_INSTANCE"},  {"edge 2", nullptr, "SIPCC_INSTANCE"},
      {nullptr, "127.0.0.1", "SIPCC_EDGE_BIND"}, {nullptr, "127.0.0.1:0", "SIPCC_EDGE_BIND"},
      {nullptr, "127.0.0.1:65536", "SIPCC_EDGE_BIND"}, {nullptr, ":5062", "SIPCC_EDGE_BIND"},
      {nullptr, "127.0.0.1:50x", "SIPCC_EDGE_BIND"}, {nullptr, "a b:5062", "SIPCC_EDGE_BIND"},
  };
  for (const auto& r : rows) {
    try {
      edge_identity_of(cfg, r.instance, r.bind);
      ADD_FAILURE() << (r.instance ? r.instance : "") << " " << (r.bind ? r.bind : "");
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(r.names), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace sipcc::edge
