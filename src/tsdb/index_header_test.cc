#include "tsdb/index_header.h"

#include <gtest/gtest.h>

#include <set>

#include "base/file.h"
#include "tsdb/index_decode.h"
#include "tsdb/index_reader.h"
#include "tsdb/index_writer.h"
#include "tsdb/test_util.h"

namespace strata::tsdb {
namespace {

// An index with enough values per label name (and symbols) that the 1-in-32 sampling of the
// header is exercised across many sample boundaries.
class IndexHeaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Labels> series;
    for (int i = 0; i < 700; i++) {
      series.push_back(Labels{{"__name__", i % 3 == 0 ? "up" : "http_requests_total"},
                              {"instance", "host-" + std::to_string(i)},
                              {"job", "job-" + std::to_string(i % 45)}});
    }
    std::sort(series.begin(), series.end());
    std::set<std::string> syms;
    for (const auto& s : series) {
      for (const auto& l : s) {
        syms.insert(l.name);
        syms.insert(l.value);
      }
    }
    index_path_ = dir_.path() + "/index";
    auto w = IndexWriter::Create(index_path_);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddSymbols({syms.begin(), syms.end()}).ok());
    uint64_t ref = 8;
    for (const auto& s : series) {
      ASSERT_TRUE((*w)->AddSeries(s, {{ref, 0, 100}}).ok());
      ref += 50;
    }
    ASSERT_TRUE((*w)->Close().ok());
    auto bytes = ReadFile(index_path_);
    ASSERT_TRUE(bytes.ok());
    index_ = *bytes;
  }

  IndexRangeFn Reader() {
    return [this](uint64_t off, uint64_t len) -> Result<std::string> {
      reads_++;
      if (off >= index_.size()) return std::string();
      return index_.substr(off, len);
    };
  }

  TempDir dir_;
  std::string index_path_;
  std::string index_;
  int reads_ = 0;
};

TEST_F(IndexHeaderTest, AnswersLikeTheIndexItself) {
  const std::string path = dir_.path() + "/index-header";
  ASSERT_TRUE(WriteIndexHeader(Reader(), index_.size(), path).ok());
  EXPECT_EQ(reads_, 4);  // header, TOC, symbols, postings offset table
  auto h = IndexHeader::Open(path);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto r = IndexReader::Open(index_path_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*h)->index_size(), index_.size());
  EXPECT_EQ((*h)->index_toc().series, (*r)->toc().series);
  EXPECT_LT((*h)->file_size(), index_.size());

  EXPECT_EQ((*h)->LabelNames(), (*r)->LabelNames());
  for (auto name : (*r)->LabelNames()) {
    auto values = (*h)->LabelValues(name);
    ASSERT_TRUE(values.ok());
    EXPECT_EQ(*values, (*r)->LabelValues(name));
    for (auto v : *values) {
      auto range = (*h)->PostingsRange(name, v);
      ASSERT_TRUE(range.ok() && range->has_value()) << name << "=" << v;
      std::string_view b =
          std::string_view(index_).substr((*range)->start, (*range)->end - (*range)->start);
      auto body = DecodeSection(b, (*range)->start, "postings");
      ASSERT_TRUE(body.ok()) << body.status().ToString();
      EXPECT_EQ(*DecodePostingsBody(*body, 0), *(*r)->ReadPostings(name, v));
    }
    // Values between, before and after the present ones are absent.
    EXPECT_FALSE((*h)->PostingsRange(name, "")->has_value());
    EXPECT_FALSE((*h)->PostingsRange(name, "host-1x")->has_value());
    EXPECT_FALSE((*h)->PostingsRange(name, "zzz")->has_value());
  }
  EXPECT_FALSE((*h)->PostingsRange("nope", "x")->has_value());
  auto all = (*h)->PostingsRange("", "");
  ASSERT_TRUE(all.ok() && all->has_value());
  auto body = DecodeSection(std::string_view(index_).substr((*all)->start), 0, "postings");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(DecodePostingsBody(*body, 0)->size(), 700u);

  for (uint32_t i = 0; i < (*r)->num_symbols(); i++) {
    EXPECT_EQ(*(*h)->Symbol(i), (*r)->symbols()[i]);
  }
  EXPECT_FALSE((*h)->Symbol((*r)->num_symbols()).ok());
}

TEST_F(IndexHeaderTest, CorruptOrTruncatedIndexGivesNoHeader) {
  const std::string path = dir_.path() + "/index-header";
  auto r = IndexReader::Open(index_path_);
  ASSERT_TRUE(r.ok());
  // A flipped byte inside the symbol table fails its CRC.
  index_[(*r)->toc().symbols + 12] ^= 0x40;
  Status st = WriteIndexHeader(Reader(), index_.size(), path);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("symbol table checksum mismatch"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // A truncated index has no valid TOC at its end.
  ASSERT_TRUE(ReadFile(index_path_).ok());
  index_ = *ReadFile(index_path_);
  index_.resize(index_.size() - 100);
  st = WriteIndexHeader(Reader(), index_.size(), path);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("table of contents"), std::string::npos) << st.ToString();
}

TEST_F(IndexHeaderTest, CorruptHeaderFileIsRejected) {
  const std::string path = dir_.path() + "/index-header";
  ASSERT_TRUE(WriteIndexHeader(Reader(), index_.size(), path).ok());
  auto bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  for (size_t at : {size_t{0}, size_t{4}, bytes->size() / 2, bytes->size() - 3}) {
    std::string b = *bytes;
    b[at] ^= 0x01;
    ASSERT_TRUE(WriteFileAtomic(path, b).ok());
    auto h = IndexHeader::Open(path);
    ASSERT_FALSE(h.ok()) << "flipped byte " << at;
    EXPECT_NE(h.status().message().find("index-header " + path), std::string::npos);
  }
}

}  // namespace
}  // namespace strata::tsdb
