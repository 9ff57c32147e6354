#include "common/endpoint.h"

#include <gtest/gtest.h>

#include "common/epp_target.h"

namespace eppb {
namespace {

TEST(Endpoint, ParsesIpv4AndIpv6) {
  std::string err;
  auto a = ParseEndpoint("10.0.0.1:8000", &err);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "10.0.0.1");
  EXPECT_EQ(a->port, 8000);
  EXPECT_FALSE(a->ipv6);
  auto b = ParseEndpoint("[fd00::1]:443", &err);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ipv6);
  EXPECT_EQ(b->ToString(), "[fd00::1]:443");
}

TEST(Endpoint, RejectsHostileEntries) {
  std::string err;
  const std::string with_nul("10.0.0.1:80\0", 12);
  EXPECT_FALSE(ParseEndpoint(with_nul, &err));
  for (const char* bad :
       {"", "10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000", "10.0.0.1:65536", "host.example:80",
        "10.0.0.1:80\r\nx-evil: 1", "fd00::1:80", "[fd00::1]", "[fd00::1%eth0]:80", "10.0.0.1:+80",
        "10.0.0.1:080a", "1.2.3:80", "10.0.0.1: 80", "[fd00::1]:80x", "999.1.1.1:80"}) {
    EXPECT_FALSE(ParseEndpoint(bad, &err)) << bad;
  }
}

TEST(Endpoint, ParsesOrderedListAndRejectsAnyBadEntry) {
  std::vector<Endpoint> list;
  std::string err;
  ASSERT_TRUE(ParseEndpointList("10.0.0.2:80, 10.0.0.1:81,[::1]:82", &list, &err));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].ToString(), "10.0.0.2:80");
  EXPECT_EQ(list[1].ToString(), "10.0.0.1:81");
  EXPECT_EQ(list[2].ToString(), "[::1]:82");
  EXPECT_EQ(JoinEndpoints(list), "10.0.0.2:80,10.0.0.1:81,[::1]:82");
  EXPECT_FALSE(ParseEndpointList("10.0.0.2:80,", &list, &err));
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(ParseEndpointList("10.0.0.2:80,bad", &list, &err));
  EXPECT_FALSE(ParseEndpointList("10.0.0.2:80\n", &list, &err));
  EXPECT_FALSE(ParseEndpointList("", &list, &err));
}

TEST(Endpoint, SubsetTokensMatchIpOrExactEndpoint) {
  std::vector<SubsetToken> tokens;
  std::string err;
  ASSERT_TRUE(ParseSubsetList("10.0.0.1,10.0.0.2:8000", &tokens, &err));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[0].Matches({"10.0.0.1", 3000, false}));
  EXPECT_TRUE(tokens[0].Matches({"10.0.0.1", 3002, false}));
  EXPECT_TRUE(tokens[1].Matches({"10.0.0.2", 8000, false}));
  EXPECT_FALSE(tokens[1].Matches({"10.0.0.2", 8001, false}));
  EXPECT_FALSE(ParseSubsetList("not-an-ip", &tokens, &err));
}

TEST(EppTarget, AcceptsIpsAndDnsNamesAndRejectsGarbage) {
  std::string err;
  auto t = EppTarget::Parse("epp.default.svc.cluster.local", "9002", &err);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->GrpcUri(), "dns:///epp.default.svc.cluster.local:9002");
  auto v6 = EppTarget::Parse("[::1]", "9002", &err);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->GrpcUri(), "ipv6:[::1]:9002");
  EXPECT_EQ(EppTarget::Parse("127.0.0.1", "9002", &err)->GrpcUri(), "ipv4:127.0.0.1:9002");
  EXPECT_FALSE(EppTarget::Parse("a b", "9002", &err));
  EXPECT_FALSE(EppTarget::Parse("host/evil", "9002", &err));
  EXPECT_FALSE(EppTarget::Parse("127.0.0.1", "0", &err));
  EXPECT_FALSE(EppTarget::Parse("127.0.0.1", "port", &err));
  EXPECT_FALSE(EppTarget::Parse("-bad.example", "1", &err));
  EXPECT_TRUE(EppTarget::ParseHostPort("[::1]:9002", &err));
  EXPECT_FALSE(EppTarget::ParseHostPort("::1:9002", &err));
}

TEST(EppTarget, OneEppHasOneKey) {
  std::string err;
  // Other spellings of an IPv4 address would each take a channel slot.
  for (const char* alias :
       {"127.1", "2130706433", "0x7f.1", "0x7f000001", "127.0.0.01", "010.0.0.1", "127.0.1",
        "127.0.0.1.", "1.2.3.4.5", "0X7F.0.0.1", "host.0x", "a.123"}) {
    EXPECT_FALSE(EppTarget::Parse(alias, "9002", &err)) << alias;
  }
  EXPECT_NE(err.find("a.b.c.d"), std::string::npos) << err;
  // Host names stay allowed (EPPs are Services), also with digits in them.
  for (const char* name : {"epp-1.default.svc", "123.example.com", "0x7f.example", "svc0x1",
                           "epp.default.svc.cluster.local."}) {
    EXPECT_TRUE(EppTarget::Parse(name, "9002", &err)) << name << ": " << err;
  }
  EXPECT_EQ(EppTarget::Parse("EPP.Default.svc", "9002", &err)->Key(), "epp.default.svc:9002");
  EXPECT_EQ(EppTarget::Parse("[0:0::1]", "9002", &err)->Key(), "[::1]:9002");
}

}  // namespace
}  // namespace eppb
