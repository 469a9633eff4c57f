#include "sidecar/remote_read.h"

#include <snappy.h>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "prompb/remote.pb.h"

namespace strata::sidecar {
namespace {

prometheus::LabelMatcher::Type ToProto(MatchType t) {
  switch (t) {
    case MatchType::kEqual:
      return prometheus::LabelMatcher::EQ;
    case MatchType::kNotEqual:
      return prometheus::LabelMatcher::NEQ;
    case MatchType::kRegexMatch:
      return prometheus::LabelMatcher::RE;
    case MatchType::kRegexNoMatch:
      return prometheus::LabelMatcher::NRE;
  }
  return prometheus::LabelMatcher::EQ;
}

}  // namespace

std::string EncodeReadRequest(const Matchers& matchers, int64_t mint, int64_t maxt) {
  prometheus::ReadRequest req;
  req.add_accepted_response_types(prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  prometheus::Query* q = req.add_queries();
  q->set_start_timestamp_ms(mint);
  q->set_end_timestamp_ms(maxt);
  for (const Matcher& m : matchers) {
    prometheus::LabelMatcher* pm = q->add_matchers();
    pm->set_type(ToProto(m.type()));
    pm->set_name(m.name());
    pm->set_value(m.value());
  }
  q->mutable_hints()->set_start_ms(mint);
  q->mutable_hints()->set_end_ms(maxt);
  std::string raw = req.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

Status ChunkedResponseDecoder::Feed(std::string_view data) {
  buf_.append(data);
  size_t pos = 0;
  Status st;
  while (pos < buf_.size()) {
    uint64_t len = 0;
    const int n = DecodeUvarint(buf_.data() + pos, buf_.size() - pos, &len);
    const uint64_t at = consumed_ + pos;
    if (n < 0 || len > kMaxFrameBytes) {
      st = Status::Corruption("remote read response: frame at byte " + std::to_string(at) +
                              ": length " + (n < 0 ? "overflows" : std::to_string(len)) +
                              " exceeds the " + std::to_string(kMaxFrameBytes) + " byte limit");
      break;
    }
    if (n == 0 || buf_.size() - pos - n < 4 + len) break;  // frame incomplete: wait for more
    const char* crc_at = buf_.data() + pos + n;
    const std::string_view payload(crc_at + 4, len);
    const uint32_t want = LoadBe32(crc_at), got = Crc32c(payload);
    if (want != got) {
      char msg[64];
      std::snprintf(msg, sizeof msg, "CRC32C %08x, frame says %08x", got, want);
      st = Status::Corruption("remote read response: frame at byte " + std::to_string(at) +
                              ": checksum mismatch: " + msg);
      break;
    }
    st = DecodeFrame(payload);
    if (!st.ok()) {
      st = Status(st.code(), "remote read response: frame at byte " + std::to_string(at) + ": " +
                                 st.message());
      break;
    }
    pos += n + 4 + len;
  }
  buf_.erase(0, pos);
  consumed_ += pos;
  return st;
}

Status ChunkedResponseDecoder::Finish() const {
  if (buf_.empty()) return Status::OK();
  return Status::Corruption("remote read response: truncated frame at byte " +
                            std::to_string(consumed_) + " (" + std::to_string(buf_.size()) +
                            " bytes left over)");
}

Status ChunkedResponseDecoder::DecodeFrame(std::string_view payload) {
  prometheus::ChunkedReadResponse frame;
  if (!frame.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return Status::Corruption("not a ChunkedReadResponse protobuf");
  for (auto& s : *frame.mutable_chunked_series()) {
    std::vector<Label> ls;
    ls.reserve(s.labels_size());
    for (auto& l : *s.mutable_labels())
      ls.push_back(Label{std::move(*l.mutable_name()), std::move(*l.mutable_value())});
    Labels labels = Labels::FromUnsorted(std::move(ls));
    STRATA_RETURN_IF_ERROR(ValidateLabels(labels));
    std::vector<RemoteChunk> chunks;
    chunks.reserve(s.chunks_size());
    for (auto& c : *s.mutable_chunks()) {
      if (c.type() == prometheus::Chunk::UNKNOWN || c.type() > 255)
        return Status::Corruption("series " + labels.String() + ": chunk with unknown encoding " +
                                  std::to_string(c.type()));
      chunks.push_back(RemoteChunk{c.min_time_ms(), c.max_time_ms(), static_cast<uint8_t>(c.type()),
                                   std::move(*c.mutable_data())});
    }
    STRATA_RETURN_IF_ERROR(fn_(std::move(labels), std::move(chunks)));
  }
  return Status::OK();
}

}  // namespace strata::sidecar
