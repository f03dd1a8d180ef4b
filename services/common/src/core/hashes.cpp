#include "sipcc/hashes.hpp"

#include <array>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sipcc {

namespace {

std::string hex(const unsigned char* data, size_t n) {
  return fmt::format("{:02x}", fmt::join(data, data + n, ""));
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr))
    std::abort();  // libcrypto out of memory
  return hex(md.data(), len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view msg) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac.data(), &len))
    std::abort();  // libcrypto out of memory
  return hex(mac.data(), len);
}

}  // namespace sipcc
