#include "sipcc/kv.hpp"

#include <memory>
#include <stdexcept>

#include <nats/nats.h>

namespace sipcc {

namespace {

void check(natsStatus s, const std::string& what) {
  if (s != NATS_OK)
    throw std::runtime_error(what + ": " + natsStatus_GetText(s) + " (" +
                             nats_GetLastError(nullptr) + ")");
}

}  // namespace

kv_bucket::kv_bucket(bus& nats, const std::string& name, std::chrono::milliseconds wait)
    : name_(name) {
  try {
    jsOptions o;
    jsOptions_Init(&o);
    if (wait.count() > 0)
      o.Wait = wait.count();
    check(natsConnection_JetStream(&js_, nats.native(), &o), "JetStream context");
    natsStatus s = js_KeyValue(&kv_, js_, name.c_str());
    if (s == NATS_NOT_FOUND) {
      kvConfig cfg;
      kvConfig_Init(&cfg);
      cfg.Bucket = name.c_str();
      cfg.History = 1;
      cfg.StorageType = js_FileStorage;
      s = js_CreateKeyValue(&kv_, js_, &cfg);
    }
    check(s, "key-value bucket " + name);
  } catch (...) {
    kvStore_Destroy(kv_);
    jsCtx_Destroy(js_);
    throw;
  }
}

kv_bucket::~kv_bucket() {
  kvStore_Destroy(kv_);
  jsCtx_Destroy(js_);
}

std::map<std::string, std::string> kv_load_all(bus& nats, const std::string& name,
                                                std::chrono::milliseconds timeout) {
  kv_bucket bucket(nats, name);
  kvWatchOptions opts;
  kvWatchOptions_Init(&opts);
  opts.IgnoreDeletes = true;
  opts.Timeout = timeout.count();
  kvWatcher* w = nullptr;
  check(kvStore_WatchAll(&w, bucket.get(), &opts), "watching bucket " + name);
  std::unique_ptr<kvWatcher, void (*)(kvWatcher*)> watcher(w, kvWatcher_Destroy);
  std::map<std::string, std::string> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    kvEntry* e = nullptr;
    check(kvWatcher_Next(&e, w, std::max<int64_t>(1, left.count())),
          "reading bucket " + name);
    // A null entry marks the end of the values stored before the watch.
    if (!e)
      return out;
    if (kvEntry_Operation(e) == kvOp_Put)
      out[kvEntry_Key(e)] = std::string(static_cast<const char*>(kvEntry_Value(e)),
                                        static_cast<size_t>(kvEntry_ValueLen(e)));
    else
      out.erase(kvEntry_Key(e));
    kvEntry_Destroy(e);
  }
}

}  // namespace sipcc
