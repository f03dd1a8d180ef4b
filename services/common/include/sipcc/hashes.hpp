// Lower-case hex SHA-256 and HMAC-SHA-256 (RFC 2104), by OpenSSL's libcrypto:
// agent password keys and login proofs, the registrar's nonces.
#pragma once

#include <string>
#include <string_view>

namespace sipcc {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view msg);

}  // namespace sipcc
