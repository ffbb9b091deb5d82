// The server tests' JSON GET against a real HTTP client: the parsed reply, with its status
// asserted (a failed request fails the test and gives an empty object).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace bt::test {

inline nlohmann::json get_json(httplib::Client& client, const std::string& path, int expected_status = 200) {
  auto res = client.Get(path.c_str());
  EXPECT_TRUE(res) << path;
  if (!res) return {};
  EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
  return nlohmann::json::parse(res->body);
}

}  // namespace bt::test
