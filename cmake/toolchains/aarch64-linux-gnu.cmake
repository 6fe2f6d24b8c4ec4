# 64-bit Raspberry Pi OS / Debian arm64 (Pi 3, 4, 5). Usage:
#   cmake -S . -B build-arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(NP_TARGET_TRIPLET aarch64-linux-gnu)
set(NP_TARGET_DEB_ARCH arm64)
set(NP_QEMU_NAME qemu-aarch64-static)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
