// cpp-httplib (Debian's compiled library): a GET over loopback.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

namespace {

TEST(toolchain, httplib_get_on_loopback) {
  httplib::Server server;
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pong", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { server.listen_after_bind(); });
  for (int i = 0; i < 1000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/ping");
  server.stop();
  t.join();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "pong");
}

}  // namespace
