# Every third-party dependency, found the way its Debian package supports, and exposed as one
# target name that the rest of the build links against. Installed by scripts/setup.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# CMake config packages.
find_package(fmt CONFIG REQUIRED)             # fmt::fmt
find_package(spdlog CONFIG REQUIRED)          # spdlog::spdlog (compiled library)
find_package(yaml-cpp CONFIG REQUIRED)        # yaml-cpp
find_package(CLI11 CONFIG REQUIRED)           # CLI11::CLI11
find_package(nlohmann_json CONFIG REQUIRED)   # nlohmann_json::nlohmann_json
find_package(simdjson CONFIG REQUIRED)        # simdjson::simdjson
find_package(RocksDB CONFIG REQUIRED)         # RocksDB::rocksdb-shared

# CMake's built-in modules.
find_package(CURL REQUIRED)                   # CURL::libcurl
find_package(SQLite3 REQUIRED)                # SQLite::SQLite3
find_package(PostgreSQL REQUIRED)             # PostgreSQL::PostgreSQL

# pkg-config only.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)  # digests of the random-user API
pkg_check_modules(AVRO REQUIRED IMPORTED_TARGET avro-c)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(EDIT REQUIRED IMPORTED_TARGET libedit)  # line editing in `sluice cql` (BSD)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(sluice::rdkafka ALIAS PkgConfig::RDKAFKA)
add_library(sluice::httplib ALIAS PkgConfig::HTTPLIB)
add_library(sluice::crypto ALIAS PkgConfig::CRYPTO)
add_library(sluice::avro ALIAS PkgConfig::AVRO)
add_library(sluice::lz4 ALIAS PkgConfig::LZ4)
add_library(sluice::edit ALIAS PkgConfig::EDIT)
add_library(sluice::zstd ALIAS PkgConfig::ZSTD)

# Asio is header-only; used standalone (without Boost) with C++20 coroutines.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(sluice_asio INTERFACE)
target_include_directories(sluice_asio SYSTEM INTERFACE "${ASIO_INCLUDE_DIR}")
# Coroutine frames and handlers come from operator new, never aligned_alloc: g++ 12 allocates
# some coroutine frames (asio::dispatch inside co_spawn) with the global operator new yet frees
# them through the promise's operator delete, which with aligned_alloc would call free() on
# memory from operator new (AddressSanitizer reports it as alloc-dealloc-mismatch).
target_compile_definitions(sluice_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
                                                 ASIO_DISABLE_STD_ALIGNED_ALLOC)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Asio 1.22 detects C++20 coroutines on g++ only; clang has them too.
  target_compile_definitions(sluice_asio INTERFACE ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1)
endif()
target_link_libraries(sluice_asio INTERFACE Threads::Threads)
add_library(sluice::asio ALIAS sluice_asio)

if(SLUICE_TESTS OR SLUICE_BENCH)
  find_package(GTest CONFIG REQUIRED)         # GTest::gtest, GTest::gmock
endif()
if(SLUICE_BENCH)
  find_package(benchmark CONFIG REQUIRED)     # benchmark::benchmark
endif()

# The allocator of the programs (sluice and the benchmarks): jemalloc, whose per-thread caches
# suit sluice's many small, short-lived allocations crossing threads (a frame read on one thread,
# freed on another) better than glibc's arenas: in the end-to-end benchmark it cut the CPU time
# per user and the peak resident memory (docs/benchmarks.md). Sanitizer and fuzz builds keep
# their own allocator. -DSLUICE_JEMALLOC=OFF builds with glibc's.
option(SLUICE_JEMALLOC "Link the programs with jemalloc" ON)
add_library(sluice_allocator INTERFACE)
if(SLUICE_JEMALLOC AND NOT SLUICE_SANITIZE AND NOT SLUICE_FUZZ)
  pkg_check_modules(JEMALLOC IMPORTED_TARGET jemalloc)
  if(JEMALLOC_FOUND)
    target_link_libraries(sluice_allocator INTERFACE PkgConfig::JEMALLOC)
    target_sources(sluice_allocator INTERFACE "${CMAKE_CURRENT_LIST_DIR}/jemalloc_conf.cc")
  else()
    message(WARNING "jemalloc not found (scripts/setup installs libjemalloc-dev): glibc's malloc")
  endif()
endif()
add_library(sluice::allocator ALIAS sluice_allocator)
