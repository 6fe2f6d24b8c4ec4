#!/usr/bin/perl
# Fails (listing them) when a TEST_CASE name, written as one string or as several adjacent ones
# over lines, holds a ';': catch_discover_tests splits names there into names that match no
# test, and those "pass" without running anything.
use strict;
use warnings;
my $bad = 0;
for my $file (@ARGV) {
  open(my $in, '<', $file) or die "$file: $!";
  local $/;
  my $text = <$in>;
  while ($text =~ /TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/g) {
    my $name = $1;
    next unless $name =~ /;/;
    print "$file: $name\n";
    $bad = 1;
  }
}
exit $bad;
