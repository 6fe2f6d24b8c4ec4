# amd64 built the same way as the ARM targets (the image's amd64 variant built on an ARM
# machine, or a static amd64 binary from a sysroot). Needs g++-x86-64-linux-gnu on non-amd64.
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(NP_TARGET_TRIPLET x86_64-linux-gnu)
set(NP_TARGET_DEB_ARCH amd64)
set(NP_QEMU_NAME qemu-x86_64-static)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
