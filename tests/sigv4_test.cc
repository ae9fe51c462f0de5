#include "native/server/sigv4.h"

#include <gtest/gtest.h>

namespace anomalens {
namespace {

// AWS's Signature Version 4 test suite, "get-vanilla".
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::time_t At(int hour, int minute) {
  std::tm tm{};
  tm.tm_year = 2015 - 1900;
  tm.tm_mon = 7;
  tm.tm_mday = 30;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return timegm(&tm);
}

TEST(SigV4, ReproducesAwsGetVanillaSignature) {
  SigV4Request r{"GET", "/", "", {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}}, ""};
  const std::string canonical = CanonicalRequest(r, "host;x-amz-date", Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                              Sha256Hex(canonical);
  EXPECT_EQ(SigV4Signature(kSecret, "20150830", "us-east-1", "service", to_sign),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

SigV4Request Signed(const std::string& secret, const std::string& body) {
  SigV4Request r{"POST", "/2020-11-20/tags/arn%3Aaws%3Alookoutvision", "tagKeys=a%20b&tagKeys=c",
                 {{"host", "127.0.0.1:8080"}, {"x-amz-date", "20150830T123600Z"}}, body};
  const std::string canonical = CanonicalRequest(r, "host;x-amz-date", Sha256Hex(body));
  const std::string to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/lookoutvision/aws4_request\n" +
                              Sha256Hex(canonical);
  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lookoutvision/aws4_request, SignedHeaders=host;x-amz-date, "
      "Signature=" + SigV4Signature(secret, "20150830", "us-east-1", "lookoutvision", to_sign);
  return r;
}

TEST(SigV4, AcceptsAValidSignatureAndRefusesTheRest) {
  Credentials creds;
  creds.secrets["AKID"] = kSecret;
  std::string key;
  EXPECT_TRUE(VerifySigV4(Signed(kSecret, "{}"), creds, At(12, 40), &key).ok());
  EXPECT_EQ(key, "AKID");

  SigV4Request unsigned_request = Signed(kSecret, "{}");
  unsigned_request.headers.erase("authorization");
  EXPECT_NE(VerifySigV4(unsigned_request, creds, At(12, 40)).message().find("not signed"), std::string::npos);
  EXPECT_NE(VerifySigV4(Signed("wrong", "{}"), creds, At(12, 40)).message().find("does not match"), std::string::npos);
  SigV4Request tampered = Signed(kSecret, "{}");
  tampered.body = "{\"x\":1}";
  EXPECT_FALSE(VerifySigV4(tampered, creds, At(12, 40)).ok());
  EXPECT_NE(VerifySigV4(Signed(kSecret, "{}"), creds, At(12, 52)).message().find("expired"), std::string::npos);
  EXPECT_NE(VerifySigV4(Signed(kSecret, "{}"), creds, At(12, 20)).message().find("expired"), std::string::npos);
  Credentials same_region = creds;
  same_region.region = "us-east-1";
  EXPECT_TRUE(VerifySigV4(Signed(kSecret, "{}"), same_region, At(12, 40)).ok());
  Credentials other_region = creds;
  other_region.region = "eu-west-1";
  EXPECT_NE(VerifySigV4(Signed(kSecret, "{}"), other_region, At(12, 40)).message().find("signed for region 'us-east-1'"),
            std::string::npos);
  Credentials other;
  other.secrets["OTHER"] = kSecret;
  EXPECT_NE(VerifySigV4(Signed(kSecret, "{}"), other, At(12, 40)).message().find("unknown access key"),
            std::string::npos);
}

TEST(SigV4, CredentialsIniAcceptsEveryProfile) {
  auto creds = ParseCredentialsIni(
      "# comment\n[default]\naws_access_key_id = A1\naws_secret_access_key = s1\n\n[ci]\n"
      "aws_access_key_id=A2\r\naws_secret_access_key=s/2+x\r\nregion = eu-west-1\n");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->secrets.size(), 2u);
  EXPECT_EQ(creds->secrets.at("A2"), "s/2+x");
  EXPECT_FALSE(ParseCredentialsIni("[x]\naws_access_key_id = A\n").ok());
  EXPECT_FALSE(ParseCredentialsIni("# nothing\n").ok());
}

}  // namespace
}  // namespace anomalens
