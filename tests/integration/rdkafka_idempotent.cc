// A librdkafka C++ producer with enable.idempotence=true and acks=all, then a consumer that reads
// the partition back: what it reads must be exactly what was acknowledged, in order, once.
// Usage: rdkafka_idempotent BOOTSTRAP TOPIC COUNT. Exit 0 on success; a reason on stderr otherwise.
#include <librdkafka/rdkafkacpp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

struct acks final : RdKafka::DeliveryReportCb {
  std::vector<std::pair<int64_t, std::string>> ok;  // offset, value
  int failed = 0;
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() != RdKafka::ERR_NO_ERROR) {
      ++failed;
      std::fprintf(stderr, "delivery failed: %s\n", m.errstr().c_str());
      return;
    }
    ok.emplace_back(m.offset(), std::string(static_cast<const char*>(m.payload()), m.len()));
  }
};

int fail(const std::string& why) {
  std::fprintf(stderr, "%s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return fail("usage: rdkafka_idempotent BOOTSTRAP TOPIC COUNT");
  const std::string bootstrap = argv[1], topic = argv[2];
  const int count = std::atoi(argv[3]);
  std::string err;

  acks dr;
  std::unique_ptr<RdKafka::Conf> pc(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (pc->set("bootstrap.servers", bootstrap, err) || pc->set("enable.idempotence", "true", err) ||
      pc->set("acks", "all", err) || pc->set("linger.ms", "2", err) || pc->set("dr_cb", &dr, err)) {
    return fail(err);
  }
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(pc.get(), err));
  if (!p) return fail(err);
  for (int i = 0; i < count; ++i) {
    std::string v = "idem-" + std::to_string(i);
    while (p->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, v.data(), v.size(), nullptr, 0, 0,
                      nullptr) == RdKafka::ERR__QUEUE_FULL) {
      p->poll(10);
    }
    p->poll(0);
  }
  if (p->flush(60000) != RdKafka::ERR_NO_ERROR) return fail("flush timed out");
  if (dr.failed > 0 || static_cast<int>(dr.ok.size()) != count) {
    return fail("acknowledged " + std::to_string(dr.ok.size()) + " of " + std::to_string(count));
  }

  std::unique_ptr<RdKafka::Conf> cc(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  cc->set("bootstrap.servers", bootstrap, err);
  std::unique_ptr<RdKafka::Consumer> c(RdKafka::Consumer::create(cc.get(), err));
  if (!c) return fail(err);
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(c.get(), topic, nullptr, err));
  c->start(t.get(), 0, RdKafka::Topic::OFFSET_BEGINNING);
  size_t next = 0;
  int idle = 0;
  while (next < dr.ok.size() && idle < 50) {
    std::unique_ptr<RdKafka::Message> m(c->consume(t.get(), 0, 200));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) {
      ++idle;
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) return fail("consume: " + m->errstr());
    idle = 0;
    const std::string v(static_cast<const char*>(m->payload()), m->len());
    if (m->offset() != dr.ok[next].first || v != dr.ok[next].second) {
      return fail("at offset " + std::to_string(m->offset()) + " read '" + v + "', acknowledged '" +
                  dr.ok[next].second + "' at " + std::to_string(dr.ok[next].first));
    }
    ++next;
  }
  c->stop(t.get(), 0);
  if (next != dr.ok.size()) return fail("read back " + std::to_string(next) + " messages");
  std::printf("ok %zu\n", next);
  return 0;
}
