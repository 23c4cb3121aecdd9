// HttpServer: the small HTTP endpoint MetricsServer serves from, over cpp-httplib (linked
// privately by this layer only). GET routes answer with a status and a body computed per request.
//
// Ownership: owns its listening thread; the destructor stops and joins it. Handlers run on
// httplib's worker threads and must be thread-safe. Errors: start failures throw CdcError{Config}.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace sabot::metrics {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply()>;
  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before start().
  void route(const std::string& path, Handler handler);
  // Binds HOST:PORT (port 0: any free one) and serves on a thread of its own.
  void start(const std::string& listen);
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace sabot::metrics
