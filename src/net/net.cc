#include "net/net.h"

#include <asio/experimental/as_tuple.hpp>

#include <cstring>

#include <fmt/format.h>

namespace sluice::net {

using asio::ip::tcp;

result<tcp::endpoint> listen(tcp::acceptor& acceptor, const config::host_port& address) {
  const std::string where = address.to_string();
  std::error_code ec;
  tcp::resolver resolver(acceptor.get_executor());
  auto endpoints =
      resolver.resolve(address.host, std::to_string(address.port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return make_error(sluice::errc::io_error,
                      fmt::format("cannot resolve {}: {}", where, ec.message()));
  }
  const tcp::endpoint ep = *endpoints.begin();
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::error_code ignored;
    acceptor.close(ignored);
    return make_error(sluice::errc::io_error,
                      fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  return acceptor.local_endpoint();
}

asio::awaitable<std::error_code> drain(tcp::socket& socket, outbox& o) {
  o.writing = true;
  std::vector<std::vector<uint8_t>> batch;
  std::vector<asio::const_buffer> buffers;
  std::error_code failed;
  while (!o.frames.empty()) {
    batch.clear();
    buffers.clear();
    size_t bytes = 0;
    while (!o.frames.empty() && bytes < (1 << 20)) {
      bytes += o.frames.front().size();
      batch.push_back(std::move(o.frames.front()));
      o.frames.pop_front();
    }
    for (const auto& b : batch) buffers.emplace_back(asio::buffer(b));
    auto [ec, n] = co_await asio::async_write(socket, buffers,
                                              asio::experimental::as_tuple(asio::use_awaitable));
    o.bytes -= bytes;
    if (ec) {
      failed = ec;
      o.frames.clear();
      o.bytes = 0;
      break;
    }
  }
  o.writing = false;
  co_return failed;
}

asio::awaitable<std::error_code> reader::fill(tcp::socket& socket, size_t n) {
  while (end_ - start_ < n) {
    if (start_ == end_) start_ = end_ = 0;
    if (data_.size() - start_ < n && start_ > 0) {  // move what is left to the front
      std::memmove(data_.data(), data_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (end_ == data_.size()) data_.resize(std::min(n, data_.size() + (1 << 20)));
    auto [ec, got] =
        co_await socket.async_read_some(asio::buffer(data_.data() + end_, data_.size() - end_),
                                        asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return ec;
    end_ += got;
  }
  // Memory grown for a large frame goes back once it has been used.
  if (data_.size() > initial_ && end_ - start_ <= initial_ && start_ == 0 && n <= initial_) {
    data_.resize(std::max(initial_, end_));
    data_.shrink_to_fit();
  }
  co_return std::error_code{};
}

}  // namespace sluice::net
