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
  ASSERT_EQ(::stat((dir + "/admin.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(a->admin.access_key_id.empty());

  auto b = open_data_dir(dir, {});
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(a->ca.cert_pem, b->ca.cert_pem);
  EXPECT_EQ(a->server.cert_pem, b->server.cert_pem);
  EXPECT_EQ(a->admin.secret_access_key, b->admin.secret_access_key);
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
