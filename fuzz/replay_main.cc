// Runs a fuzz target over every file of a corpus directory: the regression half of fuzzing,
// built with the test build's sanitizers (see CMakeLists.txt).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    ++n;
  }
  // Edge cases every target must survive, corpus or not.
  LLVMFuzzerTestOneInput(nullptr, 0);
  const uint8_t ff[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  LLVMFuzzerTestOneInput(ff, sizeof ff);
  std::printf("%zu corpus input(s) replayed from %s\n", n, argv[1]);
  return n > 0 ? 0 : 1;
}
