// CQL native protocol v4 frames on arbitrary bytes: the header checks, then every body primitive
// a server reads from a request (STARTUP's string map, QUERY's long string, consistency and values,
// REGISTER's string list, ...), type options, value validation, key encoding and the size of
// encoded key components, and LZ4 body decompression. None may read past
// the input or crash; anything accepted re-encodes to bytes that decode to the same thing.
#include <cstdlib>

#include "cql/compression.h"
#include "cql/frame.h"
#include "cql/key_encoding.h"
#include "cql/messages.h"
#include "cql/types.h"
#include "cql/wire.h"

namespace {

using namespace sluice;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bytes_view in(data, size);
  if (size >= cql::header_size) {
    if (auto h = cql::parse_header(in.first(cql::header_size), 1 << 20)) {
      byte_writer w;
      cql::write_header(w, *h);
      auto again = cql::parse_header(w.view(), 1 << 20);
      check(again && again->stream == h->stream && again->length == h->length &&
            again->op == h->op && again->flags == h->flags);
      // The body as the message its opcode names, both directions' decoders.
      const bytes_view rest = in.subspan(cql::header_size);
      switch (h->op) {
        case cql::opcode::startup: (void)cql::decode_startup(rest); break;
        case cql::opcode::register_: (void)cql::decode_register(rest); break;
        case cql::opcode::auth_response: (void)cql::decode_auth_response(rest); break;
        case cql::opcode::prepare: (void)cql::decode_prepare(rest); break;
        case cql::opcode::batch: (void)cql::decode_batch(rest); break;
        case cql::opcode::error: (void)cql::decode_error(rest); break;
        case cql::opcode::supported: (void)cql::decode_supported(rest); break;
        case cql::opcode::result: (void)cql::decode_result(rest); break;
        case cql::opcode::query:
          if (auto q = cql::decode_query(rest)) {
            byte_writer w;
            cql::encode(w, *q);
            auto back = cql::decode_query(w.view());
            check(back && back->query == q->query &&
                  back->params.values.size() == q->params.values.size());
          }
          break;
        case cql::opcode::execute: (void)cql::decode_execute(rest); break;
        default: break;
      }
    }
  }
  const bytes_view body = size > cql::header_size ? in.subspan(cql::header_size) : in;
  // A compressed body: refused or decompressed within its claim, and round-trips.
  if (auto plain = cql::lz4_decompress(in, 1 << 20)) {
    auto again = cql::lz4_decompress(cql::lz4_compress(*plain), 1 << 20);
    check(again && *again == *plain);
  }
  // The selector picks which primitive sequence to read, so every reader sees every shape.
  const uint8_t selector = size > 0 ? data[0] : 0;
  byte_reader r(body);
  switch (selector % 7) {
    case 6:
      // A type in result metadata's [option] form, then a value of it: validation, and the
      // order-preserving key encoding of anything valid.
      if (auto t = cql::data_type::read_option(r)) {
        const bytes_view value = body.subspan(r.position());
        if (t->validate(value) && !t->is_collection()) {
          byte_writer key;
          const bool desc = (selector & 0x80) != 0;
          check(cql::encode_key_component(*t, value, desc, key).has_value());
          // A component is self-delimiting: its size is found from its own bytes, even with
          // more bytes after it.
          key.write_u8(0x5A);
          auto n = cql::key_component_size(*t, key.view(), desc);
          check(n && *n + 1 == key.size());
        }
        (void)cql::data_type::parse(as_string_view(value));
      }
      break;
    case 0:
      if (auto m = cql::wire::read_string_map(r)) {
        byte_writer w;
        cql::wire::write_string_map(w, *m);
        byte_reader back(w.view());
        auto again = cql::wire::read_string_map(back);
        check(again && *again == *m);
      }
      break;
    case 1:
      if (auto q = cql::wire::read_long_string(r)) {
        (void)cql::wire::read_consistency(r);
        for (int i = 0; i < 64 && !r.empty(); ++i) {
          if (!cql::wire::read_value(r)) break;
        }
      }
      break;
    case 2:
      if (auto l = cql::wire::read_string_list(r)) {
        byte_writer w;
        cql::wire::write_string_list(w, *l);
        byte_reader back(w.view());
        auto again = cql::wire::read_string_list(back);
        check(again && *again == *l);
      }
      break;
    case 3: (void)cql::wire::read_string_multimap(r); break;
    case 4:
      (void)cql::wire::read_short_bytes(r);
      (void)cql::wire::read_bytes(r);
      break;
    default:
      (void)cql::wire::read_inet(r);
      (void)cql::wire::read_uuid(r);
      break;
  }
  return 0;
}
