// jemalloc's settings for sluice's programs, read by jemalloc at start-up (the MALLOC_CONF
// environment variable still overrides them). One arena per CPU rather than four: sluice's threads
// outnumber its cores, and per-CPU arenas held a quarter less memory at the flat-out peak of
// `sluice up` for the same throughput; a background thread returns freed pages, off the hot
// threads.
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for.
const char* malloc_conf = "percpu_arena:percpu,background_thread:true";
}
