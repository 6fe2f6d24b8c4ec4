#include "provisioner/base/heap.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace nfsprov::base {

void release_free_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace nfsprov::base
