// Standalone Asio with C++20 coroutines: an echo over loopback.
#include <gtest/gtest.h>
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>

namespace {

asio::awaitable<void> echo_once(asio::ip::tcp::acceptor& acceptor) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  char buf[16];
  size_t n = co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
  co_await asio::async_write(socket, asio::buffer(buf, n), asio::use_awaitable);
}

asio::awaitable<std::string> client(asio::ip::tcp::endpoint ep) {
  asio::ip::tcp::socket s(co_await asio::this_coro::executor);
  co_await s.async_connect(ep, asio::use_awaitable);
  co_await asio::async_write(s, asio::buffer(std::string_view("ping")), asio::use_awaitable);
  char buf[16];
  size_t n = co_await asio::async_read(s, asio::buffer(buf, 4), asio::use_awaitable);
  co_return std::string(buf, n);
}

TEST(toolchain, asio_coroutines_echo_on_loopback) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::string reply;
  asio::co_spawn(io, echo_once(acceptor), asio::detached);
  asio::co_spawn(io, client(acceptor.local_endpoint()), [&](std::exception_ptr e, std::string r) {
    if (!e) reply = std::move(r);
  });
  io.run_for(std::chrono::seconds(10));
  EXPECT_EQ(reply, "ping");
}

}  // namespace
