// The web config in force for one HTTP server: the parsed file, its TLS context and basic
// auth, rebuilt when the config file or one of the files it names changes (checked at most
// once a second). A broken new version is logged and the last good one stays in force, so a
// half-written file never opens or closes the server. Whether the server speaks TLS at all is
// fixed at start; flipping it needs a restart. Asio/OpenSSL headers stay in server/*.cc.
// Thread-safety: Current() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/basic_auth.h"
#include "server/web_config.h"

namespace boost::asio::ssl {
class context;
}

namespace strata::server {

struct ActiveWebConfig {
  WebConfig config;
  std::shared_ptr<boost::asio::ssl::context> ssl;  // set when config.tls
  std::unique_ptr<BasicAuth> auth;
};

class WebConfigWatcher {
 public:
  // Loads path; fails (with the file and the reason) if the first version is not usable.
  static Result<std::unique_ptr<WebConfigWatcher>> Open(const std::string& path);
  std::shared_ptr<const ActiveWebConfig> Current();
  bool tls() const { return tls_; }

 private:
  WebConfigWatcher(std::string path, std::shared_ptr<const ActiveWebConfig> first,
                   std::string stamp);

  const std::string path_;
  const bool tls_;
  std::mutex mu_;
  std::shared_ptr<const ActiveWebConfig> current_;
  std::string stamp_;  // size, mtime and inode of the config and its files
  std::chrono::steady_clock::time_point next_check_;
};

}  // namespace strata::server
