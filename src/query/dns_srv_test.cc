#include "query/dns_srv.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::query {
namespace {

void Name(std::string& m, const std::vector<std::string>& labels) {
  for (const auto& l : labels) {
    m.push_back(static_cast<char>(l.size()));
    m += l;
  }
  m.push_back(0);
}

void U16(std::string& m, uint16_t v) {
  m.push_back(static_cast<char>(v >> 8));
  m.push_back(static_cast<char>(v & 0xff));
}

// A response to "_grpc._tcp.store.test SRV" with two answers, the second target compressed.
std::string Response() {
  std::string m;
  U16(m, 0x1234);
  U16(m, 0x8180);  // response, recursion desired/available, no error
  U16(m, 1);       // questions
  U16(m, 2);       // answers
  U16(m, 0);
  U16(m, 0);
  Name(m, {"_grpc", "_tcp", "store", "test"});
  U16(m, 33);  // SRV
  U16(m, 1);   // IN
  for (int i = 0; i < 2; i++) {
    U16(m, 0xC00C);  // the question's name
    U16(m, 33);
    U16(m, 1);
    m += std::string("\0\0\0\x1e", 4);  // TTL 30
    std::string rdata;
    U16(rdata, 10);                      // priority
    U16(rdata, 5);                       // weight
    U16(rdata, i == 0 ? 10901 : 10911);  // port
    if (i == 0) {
      Name(rdata, {"store-0", "store", "test"});
    } else {
      rdata += "\x07store-1";
      U16(rdata, 0xC000 | 23);  // compressed: "store.test" inside the question name
    }
    U16(m, static_cast<uint16_t>(rdata.size()));
    m += rdata;
  }
  return m;
}

TEST(DnsSrvTest, ParsesAnswersIncludingCompressedNames) {
  const std::string m = Response();
  auto r = ParseSrvResponse(reinterpret_cast<const unsigned char*>(m.data()), m.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].target, "store-0.store.test");
  EXPECT_EQ((*r)[0].port, 10901);
  EXPECT_EQ((*r)[0].priority, 10);
  EXPECT_EQ((*r)[1].target, "store-1.store.test");
  EXPECT_EQ((*r)[1].port, 10911);
}

TEST(DnsSrvTest, MalformedResponsesAreErrors) {
  const std::string m = Response();
  for (size_t cut : {size_t{5}, size_t{20}, m.size() - 3}) {
    auto r = ParseSrvResponse(reinterpret_cast<const unsigned char*>(m.data()), cut);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
  std::string bad_pointer = m;
  bad_pointer[bad_pointer.size() - 1] = 0x7f;  // the compression pointer leaves the message
  auto r = ParseSrvResponse(reinterpret_cast<const unsigned char*>(bad_pointer.data()),
                            bad_pointer.size());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace strata::query
