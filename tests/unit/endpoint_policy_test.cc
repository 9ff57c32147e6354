#include "common/endpoint_policy.h"

#include <gtest/gtest.h>

namespace eppb {
namespace {

std::vector<Endpoint> List(std::string_view s) {
  std::vector<Endpoint> out;
  std::string error;
  EXPECT_TRUE(ParseEndpointList(s, &out, &error)) << error;
  return out;
}

TEST(EndpointPolicy, NoRulesAllowAnything) {
  EndpointPolicy p;
  std::string detail;
  EXPECT_FALSE(p.restricts());
  EXPECT_EQ(p.Check(List("8.8.8.8:80,[2001:db8::1]:443"), {}, &detail), std::nullopt);
}

TEST(EndpointPolicy, CidrAllowlistCoversEveryEntry) {
  EndpointPolicy p;
  std::string error;
  ASSERT_TRUE(p.AddCidr("10.0.0.0/8", &error)) << error;
  ASSERT_TRUE(p.AddCidr("fd00::/8", &error)) << error;
  ASSERT_TRUE(p.AddCidr("192.168.1.7", &error)) << error;  // a single host
  std::string detail;
  EXPECT_EQ(p.Check(List("10.1.2.3:8000,[fd12::5]:8000,192.168.1.7:80"), {}, &detail),
            std::nullopt);
  EXPECT_EQ(p.Check(List("[::ffff:10.9.9.9]:8000"), {}, &detail), std::nullopt);  // v4-mapped
  EXPECT_EQ(p.Check(List("10.1.2.3:8000,192.168.1.8:80"), {}, &detail),
            Failure::kEndpointNotAllowed);
  EXPECT_NE(detail.find("192.168.1.8:80"), std::string::npos) << detail;
  EXPECT_EQ(p.Check(List("11.0.0.1:80"), {}, &detail), Failure::kEndpointNotAllowed);
  EXPECT_EQ(p.Check(List("[fe80::1]:80"), {}, &detail), Failure::kEndpointNotAllowed);
  EXPECT_EQ(p.Check(List("127.0.0.1:80"), {}, &detail), Failure::kEndpointNotAllowed);
}

TEST(EndpointPolicy, CidrHostBitsAreMasked) {
  EndpointPolicy p;
  std::string error;
  ASSERT_TRUE(p.AddCidr("10.1.2.3/16", &error)) << error;
  std::string detail;
  EXPECT_EQ(p.Check(List("10.1.200.1:80"), {}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.2.0.1:80"), {}, &detail), Failure::kEndpointNotAllowed);
}

TEST(EndpointPolicy, GarbledCidrsAreRefused) {
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0/8", "host.example/8", "fd00::/129",
                          "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0 /8", "::1/x"}) {
    EndpointPolicy p;
    std::string error;
    EXPECT_FALSE(p.AddCidr(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(EndpointPolicy, SubsetHintBindsTheDecision) {
  EndpointPolicy p;
  std::string detail;
  std::vector<std::string> subset = {"10.0.0.1:8000", "10.0.0.2", "[fd00::1]:9000"};
  EXPECT_EQ(p.Check(List("10.0.0.1:8000"), subset, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.0.0.2:1234,[fd00:0::1]:9000"), subset, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.0.0.2:80,10.0.0.3:80"), subset, &detail),
            Failure::kEndpointOutsideSubset);
  EXPECT_NE(detail.find("10.0.0.3:80"), std::string::npos) << detail;
  // Entries sent as one comma-separated value count the same.
  EXPECT_EQ(p.Check(List("10.0.0.4:80"), {"10.0.0.3:80,10.0.0.4"}, &detail), std::nullopt);
}

TEST(EndpointPolicy, SubsetMembershipIsByIpAsTheReferenceEppMatchesIt) {
  // llm-d-router keeps the part before the last ':' of each entry and
  // compares it with the Pod IP: data-parallel ranks on other ports of a
  // listed IP are candidates, so their picks are valid.
  EndpointPolicy p;
  std::string detail;
  EXPECT_EQ(p.Check(List("10.0.0.1:8001,10.0.0.1:8002"), {"10.0.0.1:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.0.0.2:8000"), {"10.0.0.1:8000"}, &detail),
            Failure::kEndpointOutsideSubset);
  EXPECT_EQ(p.Check(List("10.0.0.10:8000"), {"10.0.0.1:8000"}, &detail),
            Failure::kEndpointOutsideSubset);  // a whole-address match, not a prefix
  // IPv6, bracketed or bare, in any spelling, any port.
  EXPECT_EQ(p.Check(List("[fd00::1]:8001"), {"[fd00:0:0::1]:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("[fd00::1]:8001"), {"fd00::1"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("[fd00::2]:8000"), {"[fd00::1]:8000"}, &detail),
            Failure::kEndpointOutsideSubset);
  // llm-d-router cuts a bare "fd00::1:8000" at the last ':' (IP fd00::1);
  // the whole text is an IPv6 address too. Both are admitted.
  EXPECT_EQ(p.Check(List("[fd00::1]:8001"), {"fd00::1:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("[fd00::1:8000]:80"), {"fd00::1:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("[fd00::2]:8000"), {"fd00::1:8000"}, &detail),
            Failure::kEndpointOutsideSubset);
  EXPECT_EQ(p.Check(List("[::ffff]:80"), {"::ffff:10.0.0.1"}, &detail),
            Failure::kEndpointOutsideSubset);  // a mapped address is not cut
  // An IPv4-mapped IPv6 address is the IPv4 address, either way round.
  EXPECT_EQ(p.Check(List("[::ffff:10.0.0.1]:8001"), {"10.0.0.1:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.0.0.1:8001"), {"[::ffff:10.0.0.1]:8000"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("10.0.0.1:8001"), {"::ffff:a00:1"}, &detail), std::nullopt);
  EXPECT_EQ(p.Check(List("[::ffff:10.0.0.2]:8000"), {"10.0.0.1"}, &detail),
            Failure::kEndpointOutsideSubset);
  // Not mapped: ::10.0.0.1 (IPv4-compatible) and 64:ff9b::/96 stay IPv6.
  EXPECT_EQ(p.Check(List("10.0.0.1:8000"), {"[::10.0.0.1]:8000"}, &detail),
            Failure::kEndpointOutsideSubset);
  EXPECT_EQ(p.Check(List("10.0.0.1:8000"), {"[64:ff9b::10.0.0.1]:8000"}, &detail),
            Failure::kEndpointOutsideSubset);
}

TEST(EndpointPolicy, CidrIsCheckedBeforeSubset) {
  EndpointPolicy p;
  std::string error;
  ASSERT_TRUE(p.AddCidr("10.0.0.0/24", &error));
  std::string detail;
  EXPECT_EQ(p.Check(List("10.0.1.1:80"), {"10.0.1.1"}, &detail), Failure::kEndpointNotAllowed);
}

}  // namespace
}  // namespace eppb
