# 32-bit Raspberry Pi OS / Debian armhf (ARMv7: Pi 2, 3, 4 on a 32-bit OS). Usage:
#   cmake -S . -B build-armhf --toolchain cmake/toolchains/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(NP_TARGET_TRIPLET arm-linux-gnueabihf)
set(NP_TARGET_DEB_ARCH armhf)
set(NP_QEMU_NAME qemu-arm-static)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
# GCC notes on armhf that std::map/vector iterators are passed differently since GCC 7.1
# (-Wpsabi). Everything here is built by one GCC, so the note is noise in CI logs.
string(APPEND CMAKE_CXX_FLAGS_INIT " -Wno-psabi")
