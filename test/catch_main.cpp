// The single Catch2 main every test binary links against.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
