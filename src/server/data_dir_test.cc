#include "server/data_dir.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace tenet::server {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tenet-datadir-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(DataDirTest, FirstStartCreatesPrivateMaterialAndLaterStartsReuseIt) {
  const std::string dir = root_ + "/data";
  auto a = open_data_dir(dir, {});
  ASSERT_TRUE(a) << a.error();
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir + "/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir + "/admin-credentials").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(a->admin.access_key_id.rfind("TNTA", 0), 0u);
  EXPECT_EQ(a->admin.secret_access_key.size(), 40u);

  auto b = open_data_dir(dir, {});
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(a->ca.cert_pem, b->ca.cert_pem);
  EXPECT_EQ(a->server.cert_pem, b->server.cert_pem);
  EXPECT_EQ(a->admin.secret_access_key, b->admin.secret_access_key);
  EXPECT_EQ(a->master_key, b->master_key);
}

TEST_F(DataDirTest, CredentialsFileIsReadableByAwsToolsAndCarriesTheRegion) {
  const std::string dir = root_ + "/data";
  auto a = open_data_dir(dir, {}, "eu-central-1");
  ASSERT_TRUE(a) << a.error();
  auto text = pki::read_file(dir + "/admin-credentials");
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("[default]\naws_access_key_id = " + a->admin.access_key_id), std::string::npos);
  EXPECT_NE(text->find("region = eu-central-1"), std::string::npos);
  auto parsed = parse_credentials(*text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->secret_access_key, a->admin.secret_access_key);
  auto cfg = pki::read_file(dir + "/aws-config");
  ASSERT_TRUE(cfg);
  EXPECT_NE(cfg->find("ca_bundle = " + a->path + "/ca.pem"), std::string::npos);
}

TEST(ParseCredentials, ReadsOnlyTheDefaultProfile) {
  auto c = parse_credentials("[other]\naws_access_key_id=X\naws_secret_access_key=Y\n[default]\n"
                             "aws_access_key_id = A \r\n# c\naws_secret_access_key=B\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "A");
  EXPECT_EQ(c->secret_access_key, "B");
  EXPECT_FALSE(parse_credentials("[other]\naws_access_key_id=X\naws_secret_access_key=Y\n"));
}

TEST_F(DataDirTest, NewServerNamesReissueTheServerCertificateButKeepTheCa) {
  const std::string dir = root_ + "/data";
  auto a = open_data_dir(dir, {});
  ASSERT_TRUE(a);
  auto b = open_data_dir(dir, {"hub.example", "10.0.0.7"});
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(a->ca.cert_pem, b->ca.cert_pem);
  EXPECT_NE(a->server.cert_pem, b->server.cert_pem);
}

}  // namespace
}  // namespace tenet::server
