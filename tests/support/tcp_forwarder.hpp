// Test support: a TCP forwarder on loopback, standing for "the same name, another server behind
// it" (a proxy, a service address after a failover). It listens on a port the kernel picks and
// forwards every connection to 127.0.0.1:target; retarget() points it at another port and cuts
// the connections it forwards, as a failover does. Threads of its own; stopped by the destructor.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sabot::test {

class TcpForwarder {
 public:
  // Throws std::runtime_error when it cannot listen.
  explicit TcpForwarder(int target_port);
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  int port() const { return port_; }
  // New connections go to `target_port`; the current ones are closed.
  void retarget(int target_port);

 private:
  struct Link;
  void accept_loop();
  void cut_links();

  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> target_port_;
  std::atomic<bool> stopping_{false};
  std::mutex links_lock_;
  std::vector<std::shared_ptr<Link>> links_;
  std::thread acceptor_;
};

}  // namespace sabot::test
