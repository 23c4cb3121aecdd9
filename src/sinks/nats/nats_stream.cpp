#include <fmt/format.h>

#include "sinks/nats/nats_sink.hpp"

namespace sabot::sinks::nats {

void ensure_stream(const NatsConnection& connection, const NatsSinkOptions& options,
                   const SubjectTemplate& subjects, const NatsUrl& url) {
  const std::optional<bool> exists = connection.stream_exists(options.stream);
  if (exists && *exists) return;
  if (options.duplicate_window.count() <= 0) {
    throw CdcError(ErrorKind::Config, "NATS sink: the duplicate window must be positive");
  }
  const std::string wildcard = subjects.wildcard();
  const char* subject_list[] = {wildcard.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = options.stream.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Duplicates = std::chrono::nanoseconds(options.duplicate_window).count();
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_AddStream(&info, connection.js(), &config, nullptr, &code);
  jsStreamInfo_Destroy(info);
  if (status == NATS_OK) return;
  NatsFailure failure = last_failure(status);
  failure.code = code;
  const std::string fix =
      code == JSStreamSubjectOverlapErr
          ? fmt::format(
                " (another stream already stores subjects matching '{}': name that stream "
                "with --nats-stream, or change --nats-subject)",
                wildcard)
          : "";
  throw nats_error(failure,
                   fmt::format("NATS sink at {}: creating stream '{}' for subjects '{}'",
                               url.redacted, options.stream, wildcard),
                   fix, std::nullopt);
}

}  // namespace sabot::sinks::nats
