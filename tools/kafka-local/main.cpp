// sabot-kafka-local: runs librdkafka's mock cluster (rdkafka_mock.h) — N brokers listening on
// 127.0.0.1 at ports the kernel picks — until SIGTERM or SIGINT. Prints the bootstrap servers on
// stdout and, with --bootstrap-file, writes them there (atomically, once every broker listens), so
// a script can wait for the file. Other processes reach it over TCP like any Kafka cluster.
//
// The mock keeps messages in memory (the last 5 MiB / 100,000 message sets per partition), creates
// topics on first use (4 partitions unless --topic says otherwise) and does not hide aborted
// transactions from read_committed consumers: a test broker, never one for real data.
//
// The mock's sockets keep Nagle's algorithm on, so when a client has several requests in flight
// the second response waits for the client's delayed ACK (40 ms on Linux): a drain then spends
// most of its time waiting. Kafka brokers set TCP_NODELAY; so does this program, on every TCP
// socket of the process (the mock's listeners, whose accepted connections inherit it, and, in a
// sweep every 50 ms, any connection already open).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Flags {
  int brokers = 3;
  std::string bootstrap_file;
  std::vector<std::string> topics;  // NAME:PARTITIONS
};

// The mock cluster needs a client handle to live in; this one is never used to produce.
rd_kafka_t* make_host_handle() {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) std::fprintf(stderr, "sabot-kafka-local: cannot create a handle: %s\n", errstr);
  return rk;
}

bool create_topics(rd_kafka_mock_cluster_t* cluster, const Flags& flags) {
  for (const std::string& spec : flags.topics) {
    const size_t colon = spec.rfind(':');
    const int partitions = colon == std::string::npos ? 0 : std::atoi(spec.c_str() + colon + 1);
    if (partitions <= 0) {
      std::fprintf(stderr, "sabot-kafka-local: --topic '%s' must look like NAME:PARTITIONS\n",
                   spec.c_str());
      return false;
    }
    const std::string name = spec.substr(0, colon);
    const int replication = flags.brokers < 3 ? flags.brokers : 3;
    if (rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, replication)) {
      std::fprintf(stderr, "sabot-kafka-local: cannot create topic %s\n", name.c_str());
      return false;
    }
  }
  return true;
}

bool write_bootstrap_file(const std::string& path, const std::string& bootstrap) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << bootstrap << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Sets TCP_NODELAY on every TCP socket this process has open.
void disable_nagle_on_open_sockets() {
  DIR* fds = opendir("/proc/self/fd");
  if (!fds) return;
  while (const dirent* entry = readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    struct stat st;
    if (fd <= 2 || fd == dirfd(fds) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int type = 0;
    socklen_t length = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) continue;
    int domain = 0;
    length = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) continue;
    if (domain != AF_INET && domain != AF_INET6) continue;
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  closedir(fds);
}

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app("Kafka-protocol test cluster on loopback (librdkafka's mock cluster)");
  app.add_option("--brokers", flags.brokers, "number of brokers")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--bootstrap-file", flags.bootstrap_file,
                 "write the bootstrap servers (HOST:PORT,...) to this file once listening");
  app.add_option("--topic", flags.topics, "create topic NAME:PARTITIONS up front (repeatable)");
  CLI11_PARSE(app, argc, argv);

  // Blocked before any thread starts, so only sigwait() sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  rd_kafka_t* host = make_host_handle();
  if (!host) return 1;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, flags.brokers);
  if (!cluster) {
    std::fprintf(stderr, "sabot-kafka-local: cannot start the mock cluster\n");
    rd_kafka_destroy(host);
    return 1;
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (!create_topics(cluster, flags)) return 1;
  if (!flags.bootstrap_file.empty() && !write_bootstrap_file(flags.bootstrap_file, bootstrap)) {
    std::fprintf(stderr, "sabot-kafka-local: cannot write %s\n", flags.bootstrap_file.c_str());
    return 1;
  }
  disable_nagle_on_open_sockets();
  std::atomic<bool> stopping{false};
  std::thread sweeper([&stopping] {
    while (!stopping.load()) {
      disable_nagle_on_open_sockets();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);

  wait_for_stop_signal();
  stopping.store(true);
  sweeper.join();
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
