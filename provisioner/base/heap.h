// The process's heap, given back: glibc keeps the pages a burst freed for later use, and a
// cgroup's memory limit (and a Raspberry Pi's few hundred free megabytes) counts them.
#pragma once

namespace nfsprov::base {

// Returns every free page of every malloc arena to the system (glibc's malloc_trim; nothing
// elsewhere). Takes about a millisecond for a heap of a few megabytes: for quiet moments, such
// as the end of a burst, not for every request.
void release_free_heap();

}  // namespace nfsprov::base
