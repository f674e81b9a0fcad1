#include "cli/pipeline_services.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <future>
#include <thread>

#include <fmt/format.h>

#include "base/log.h"

namespace sluice::cli {
namespace {

// Thousands separated by commas, as people read counts.
std::string count(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

double rate(int64_t n, double seconds) { return seconds > 0 ? n / seconds : 0.0; }

class process_service final : public service {
 public:
  process_service(std::string name, process::job_options o, std::shared_ptr<progress_board> b)
      : name_(std::move(name)), options_(std::move(o)), board_(std::move(b)) {}
  ~process_service() override { stop(); }

  std::string_view name() const override { return name_; }
  std::string endpoint() const override {
    return options_.topic + " -> " + options_.sink.keyspace + "." + options_.sink.table;
  }

  result<void> start() override {
    auto ready = std::make_shared<std::promise<result<void>>>();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto answer = [ready, answered](result<void> r) {
      if (!answered->exchange(true)) ready->set_value(std::move(r));
    };
    options_.on_ready = [answer] { answer({}); };
    size_t slot = 0;
    {
      std::lock_guard lock(board_->mu);
      slot = board_->processes.size();
      board_->processes.push_back({name_, {}});
    }
    thread_ = std::thread([this, answer, slot] {
      auto r = process::run_job(options_, stop_, [&](const process::job_progress& p) {
        std::lock_guard lock(board_->mu);
        board_->processes[slot].progress = p;
      });
      if (!r) {
        answer(std::unexpected(r.error()));
        return;
      }
      answer({});
      if (!r->ok()) log::get("up")->error("{} failed: {}", name_, r->failure);
    });
    return ready->get_future().get();
  }

  void stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string name_;
  process::job_options options_;
  std::shared_ptr<progress_board> board_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class ingest_service final : public service {
 public:
  ingest_service(std::string name, ingest::job_options o, std::shared_ptr<progress_board> b)
      : name_(std::move(name)), options_(std::move(o)), board_(std::move(b)) {}
  ~ingest_service() override { stop(); }

  std::string_view name() const override { return name_; }
  std::string endpoint() const override { return options_.url + " -> " + options_.topic; }

  result<void> start() override {
    thread_ = std::thread([this] { (void)run_reported_ingest(name_, options_, stop_, *board_); });
    return {};
  }

  void stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string name_;
  ingest::job_options options_;
  std::shared_ptr<progress_board> board_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

result<ingest::job_result> run_reported_ingest(
    const std::string& name, const ingest::job_options& o, const std::atomic<bool>& stop,
    progress_board& board, const std::function<void(const ingest::job_progress&)>& progress) {
  size_t slot = 0;
  {
    // A DAG's daily runs of one stage share its line.
    std::lock_guard lock(board.mu);
    while (slot < board.ingests.size() && board.ingests[slot].name != name) ++slot;
    if (slot == board.ingests.size()) board.ingests.push_back({name, {}, false});
    board.ingests[slot] = {name, {}, false};
  }
  auto r = ingest::run_job(o, stop, [&](const ingest::job_progress& p) {
    {
      std::lock_guard lock(board.mu);
      board.ingests[slot].progress = p;
    }
    if (progress) progress(p);
  });
  {
    std::lock_guard lock(board.mu);
    board.ingests[slot].finished = true;
    if (r) board.ingests[slot].progress = r->totals;
  }
  if (!r) {
    fmt::print("{}: cannot run: {}\n", name, r.error().message);
  } else {
    const auto& t = r->totals;
    fmt::print(
        "{}: {} {} records to {} in {:.1f} s ({} fetched, {} retries, {} not "
        "acknowledged){}\n",
        name, r->ok() ? (r->stopped ? "stopped," : "done,") : "failed,", count(t.produced), o.topic,
        t.seconds, count(t.fetched), t.retries, t.failed, r->ok() ? "" : ": " + r->failure);
  }
  std::fflush(stdout);
  return r;
}

std::unique_ptr<service> make_process_service(std::string name, process::job_options o,
                                              std::shared_ptr<progress_board> board) {
  return std::make_unique<process_service>(std::move(name), std::move(o), std::move(board));
}

std::unique_ptr<service> make_ingest_service(std::string name, ingest::job_options o,
                                             std::shared_ptr<progress_board> board) {
  return std::make_unique<ingest_service>(std::move(name), std::move(o), std::move(board));
}

std::string format_progress(progress_board& board, double seconds) {
  std::lock_guard lock(board.mu);
  const double span = seconds - board.shown_at;
  board.shown_at = seconds;
  std::string out = fmt::format("[{:>5.0f}s]", seconds);
  for (auto& i : board.ingests) {
    const auto& p = i.progress;
    out += fmt::format(" {} {} fetched, {} produced ({}/s){}{} |", i.name, count(p.fetched),
                       count(p.produced), count(std::llround(rate(p.produced - i.shown, span))),
                       p.retries > 0 ? fmt::format(", {} retries", p.retries) : "",
                       i.finished ? ", finished" : "");
    i.shown = p.produced;
  }
  for (auto& e : board.processes) {
    const auto& p = e.progress;
    out += fmt::format(" {} {} written ({}/s), lag {}, p99 {:.1f} ms, {} dead-lettered |", e.name,
                       count(p.written), count(std::llround(rate(p.written - e.shown, span))),
                       count(p.lag), p.p99_ms, count(p.dead_lettered));
    e.shown = p.written;
  }
  if (out.back() == '|') out.pop_back();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace sluice::cli
