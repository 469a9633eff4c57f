#include "base/sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "base/encoding.h"

namespace strata {
namespace {

// The implementation, fetched once: EVP_sha256() looks it up again on every digest, which was 8%
// of a store gateway's CPU per query (index cache keys). Fetched at start-up, on the main thread:
// the fetch initialises OpenSSL, whose per-thread state a worker thread that lives until exit
// would keep (LeakSanitizer reports it).
EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);

// A digest on this thread's context. Not re-entrant: one digest per thread at a time, which the
// functions below keep.
EVP_MD_CTX* StartDigest() {
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                            EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), kSha256 != nullptr ? kSha256 : EVP_sha256(), nullptr);
  return ctx.get();
}

std::string FinishDigest(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), n));
}

}  // namespace

std::string Sha256Hex(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = StartDigest();
  for (std::string_view p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  return FinishDigest(ctx);
}

Result<std::string> FileSha256Hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("open " + path + " to hash it");
  std::vector<char> buf(1 << 20);
  EVP_MD_CTX* ctx = StartDigest();
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::IOError("read " + path + " to hash it");
  return FinishDigest(ctx);
}

}  // namespace strata
