# Shared part of the cross toolchain files: Debian's cross compiler for NP_TARGET_TRIPLET and
# a target sysroot made by scripts/make-sysroot (the target's -dev packages unpacked, nothing
# installed). The one way nfs-provisioner is cross-built: scripts/ci-arm and Dockerfile.arm.
#
# The sysroot is found at -DNP_SYSROOT=..., else $NP_SYSROOT, else
# /var/cache/nfs-provisioner-sysroots/<NP_TARGET_DEB_ARCH>.
#
# The sysroot holds no C library: the cross compiler's own (/usr/<triplet>, from
# libc6-dev-<arch>-cross) is used, so the sysroot is added as extra search paths rather than
# as --sysroot (which would hide the compiler's libc and libstdc++).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${NP_TARGET_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${NP_TARGET_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${NP_TARGET_TRIPLET})

if(NOT NP_SYSROOT)
  if(DEFINED ENV{NP_SYSROOT})
    set(NP_SYSROOT "$ENV{NP_SYSROOT}")
  else()
    set(NP_SYSROOT "/var/cache/nfs-provisioner-sysroots/${NP_TARGET_DEB_ARCH}")
  endif()
endif()
# try_compile projects re-read this file without the cache: pass the value on.
set(NP_SYSROOT "${NP_SYSROOT}" CACHE PATH "Target sysroot made by scripts/make-sysroot")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NP_SYSROOT)
if(NOT EXISTS "${NP_SYSROOT}/usr/include/nfsc/libnfs.h")
  message(FATAL_ERROR "No ${NP_TARGET_DEB_ARCH} sysroot at ${NP_SYSROOT}: "
                      "run scripts/make-sysroot ${NP_TARGET_DEB_ARCH}")
endif()

set(CMAKE_FIND_ROOT_PATH "${NP_SYSROOT}" "/usr/${NP_TARGET_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(_np_lib "${NP_SYSROOT}/usr/lib/${NP_TARGET_TRIPLET}")
# Some runtime libraries (zlib) live in /lib/<triplet> rather than /usr/lib/<triplet>.
set(_np_rootlib "${NP_SYSROOT}/lib/${NP_TARGET_TRIPLET}")
# -idirafter: the sysroot's headers come after the cross compiler's own, so its libc wins.
set(CMAKE_C_FLAGS_INIT
    "-idirafter ${NP_SYSROOT}/usr/include/${NP_TARGET_TRIPLET} -idirafter ${NP_SYSROOT}/usr/include")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
# rpath-link: the shared libraries' own dependencies (libcpp-httplib -> libssl, brotli, zlib).
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-L${_np_lib} -L${_np_rootlib} -Wl,-rpath-link,${_np_lib}:${_np_rootlib}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}")

# pkg-config (libnfs, cpp-httplib) must read the target's .pc files, with paths inside the
# sysroot.
set(ENV{PKG_CONFIG_LIBDIR} "${_np_lib}/pkgconfig:${NP_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${NP_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

# Tests run through qemu: -L for the dynamic loader and libc of the cross toolchain, and the
# sysroot's shared libraries (libcpp-httplib and its dependencies) on the library path.
find_program(NP_QEMU ${NP_QEMU_NAME})
if(NP_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${NP_QEMU};-L;/usr/${NP_TARGET_TRIPLET};-E;LD_LIBRARY_PATH=${_np_lib}:${_np_rootlib}")
endif()
