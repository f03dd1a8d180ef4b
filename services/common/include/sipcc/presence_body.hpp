// Pure parsers for the bodies Asterisk sends in presence and dialog NOTIFYs:
// PIDF (RFC 3863 + RPID), dialog-info (RFC 4235) and RFC 4662 resource-list
// multipart bodies (Content-Type and multipart read by sofia-sip's MIME
// parsers). No I/O, no actors: table-tested in tests/unit.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipcc/v1/state.pb.h"

namespace sipcc {

// The largest dialog-info / RLMI version (2^32 - 1); above it the body is
// malformed.
inline constexpr long long kMaxBodyVersion = 4294967295LL;

// What one presence document says about one device.
struct device_report {
  v1::DeviceState device = v1::DEVICE_UNKNOWN;
  // dialog-info version attribute; -1 for PIDF (which has none).
  long long version = -1;
  std::string entity;  // entity attribute, e.g. sip:1000@127.0.0.1:5070
};

// Either a value or the reason the input was rejected.
template <class T>
struct parse_result {
  std::optional<T> value;
  std::string error;
  explicit operator bool() const { return value.has_value(); }
};

// PIDF: basic closed -> OUT_OF_SERVICE; open without rpid on-the-phone ->
// IDLE; on-the-phone is told apart by <note>: "Ringing" -> RINGING,
// "On hold" -> HELD, anything else -> BUSY.
parse_result<device_report> parse_pidf(std::string_view xml);

// dialog-info (version attribute required, 0..kMaxBodyVersion;
// state="partial" is rejected, as it lists only changed dialogs): no
// <dialog> or all terminated -> IDLE; any early -> RINGING; any confirmed ->
// BUSY, or HELD when every confirmed dialog has the local target param
// +sip.rendering=no (Asterisk's ONHOLD). Dialogs the device places (trying,
// proceeding, early with direction="initiator") count as BUSY. Precedence:
// BUSY > HELD > RINGING > IDLE. dialog-info cannot tell unregistered from
// idle.
parse_result<device_report> parse_dialog_info(std::string_view xml);

// Dispatches on the media type of a Content-Type value (case-insensitive,
// parameters ignored): application/pidf+xml or application/dialog-info+xml.
// Every other type is an error. Never throws; errors carry the reason.
parse_result<device_report> parse_device_body(std::string_view content_type,
                                              std::string_view body);

// A counter label for a body's Content-Type, from a closed set: the media
// type (lower-cased, parameters dropped) when it is one sipcc reads or may
// be sent (pidf, xpidf, dialog-info, rlmi, multipart/related,
// simple-message-summary, dtmf-relay, dtmf, sdp), "none" when there is no
// Content-Type, else "other". Content types come from the network: a label
// per distinct one made the counter set grow without bound (issue 16).
std::string body_type_label(std::string_view content_type);

// One resource of an RFC 4662 list NOTIFY.
struct list_resource {
  std::string uri;    // <resource uri=...>
  std::string state;  // instance state: active | pending | terminated
  std::string reason; // instance reason, when terminated
  // Parsed body part (absent when the instance has no cid or its part is missing).
  std::optional<device_report> report;
  std::string error;  // why the part could not be parsed, if it could not
};

struct list_notify {
  std::string list_uri;
  long long version = 0;
  bool full_state = false;
  std::vector<list_resource> resources;
};

// multipart/related;type="application/rlmi+xml";boundary=... : splits the
// parts with sofia-sip's multipart parser (the close delimiter is required,
// so a truncated body is an error; a body with a NUL byte is one too),
// reads the RLMI <list> (uri, version 0..kMaxBodyVersion, fullState) and
// matches each resource's first instance cid to the part with that
// Content-ID. A part that is missing or does not parse sets that resource's
// error, not the whole result's. With fullState=false only the changed
// resources are listed.
parse_result<list_notify> parse_list_notify(std::string_view content_type,
                                            std::string_view body);

}  // namespace sipcc
