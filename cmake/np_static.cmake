# NP_STATIC=ON: link the provisioner's libraries from their static archives.
# Included by the root CMakeLists.txt after the find_package() calls: it re-points the
# imported targets at the .a files of the same packages (host or sysroot alike).
#
# Debian ships cpp-httplib only as a shared library (libcpp-httplib.so, built with OpenSSL,
# zlib and brotli; the -dev package's httplib.h is the declarations-only "split" header).
# - With -DNP_HTTPLIB_SOURCE=<dir> (scripts/get-httplib-source: Debian's source of the same
#   version, split as Debian splits it), cpp-httplib is built here as a static library and
#   the program is linked fully static (-static: OpenSSL, zlib, libstdc++ and glibc too).
#   The release image is then the binary alone (arm64: 13.2 MB of shared libraries and
#   binary before, see README "Measured"). glibc 2.36 has its `files` and `dns` NSS modules
#   built in, so /etc/hosts and DNS (the pod's resolv.conf) work without its shared NSS
#   libraries despite the linker's getaddrinfo warning; scripts/test-image proves both in the
#   image. Brotli is left out of cpp-httplib (600 kB; gzip, the one kube-apiserver uses, stays):
#   the header's brotli classes are implementation details no caller of cpp-httplib names.
# - Without it, libnfs and yaml-cpp are linked statically and cpp-httplib, OpenSSL,
#   libstdc++ and glibc stay shared: one copy of OpenSSL and of libstdc++ for the program and
#   cpp-httplib, which exchange SSL contexts and std::strings. The image then carries those
#   shared libraries (scripts/make-rootfs finds them).

set(NP_HTTPLIB_SOURCE "" CACHE PATH
    "NP_STATIC: folder with cpp-httplib's httplib.cc (scripts/get-httplib-source)")

function(np_static_archive out name)
  find_library(${out} NAMES lib${name}.a NO_CACHE)
  if(NOT ${out})
    message(FATAL_ERROR "NP_STATIC: lib${name}.a not found (is the -dev package installed?)")
  endif()
  set(${out} ${${out}} PARENT_SCOPE)
endfunction()

np_static_archive(np_libnfs_a nfs)
set_property(TARGET PkgConfig::LIBNFS PROPERTY INTERFACE_LINK_LIBRARIES ${np_libnfs_a})

np_static_archive(np_yaml_cpp_a yaml-cpp)
get_target_property(np_yaml_configs yaml-cpp IMPORTED_CONFIGURATIONS)
foreach(config IN LISTS np_yaml_configs)
  set_property(TARGET yaml-cpp PROPERTY IMPORTED_LOCATION_${config} ${np_yaml_cpp_a})
endforeach()
set_property(TARGET yaml-cpp PROPERTY IMPORTED_LOCATION ${np_yaml_cpp_a})

if(NP_HTTPLIB_SOURCE)
  if(NOT EXISTS "${NP_HTTPLIB_SOURCE}/httplib.cc")
    message(FATAL_ERROR "NP_STATIC: no httplib.cc in NP_HTTPLIB_SOURCE=${NP_HTTPLIB_SOURCE} "
                        "(scripts/get-httplib-source <sysroot> makes it)")
  endif()
  np_static_archive(np_ssl_a ssl)
  np_static_archive(np_crypto_a crypto)
  np_static_archive(np_z_a z)
  # Debian's build of the same source: the options its .pc file announces but brotli, plus
  # CPPHTTPLIB_USE_POLL from its debian/rules. It compiles against the sysroot's httplib.h,
  # the header every user of PkgConfig::HTTPLIB sees. Third-party code: its warnings are not
  # ours to fix under -Werror.
  add_library(np_httplib_static STATIC "${NP_HTTPLIB_SOURCE}/httplib.cc")
  target_compile_options(np_httplib_static PRIVATE ${HTTPLIB_CFLAGS} -UCPPHTTPLIB_BROTLI_SUPPORT
                         -DCPPHTTPLIB_USE_POLL -w)
  target_link_libraries(np_httplib_static PUBLIC ${np_ssl_a} ${np_crypto_a} ${np_z_a} Threads::Threads)
  set_property(TARGET PkgConfig::HTTPLIB PROPERTY INTERFACE_LINK_LIBRARIES np_httplib_static)
  set_property(TARGET OpenSSL::SSL PROPERTY IMPORTED_LOCATION ${np_ssl_a})
  set_property(TARGET OpenSSL::Crypto PROPERTY IMPORTED_LOCATION ${np_crypto_a})
  add_link_options(-static)
  message(STATUS "NP_STATIC: fully static, cpp-httplib built from ${NP_HTTPLIB_SOURCE}")
else()
  message(STATUS "NP_STATIC: libnfs and yaml-cpp static; no NP_HTTPLIB_SOURCE, so "
                 "cpp-httplib, OpenSSL, libstdc++ and glibc stay shared")
endif()
