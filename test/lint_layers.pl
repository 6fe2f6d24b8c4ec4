#!/usr/bin/perl
# Fails (listing them) when a file includes a header of a layer its own layer may not use, when
# a library's target_link_libraries names one (the layers of README.md "Layout", bottom first),
# or when a unit test does not mirror the file it tests.
# Run from the source root (the CTest test lint_layers and `scripts/lint layers` do):
#   perl test/lint_layers.pl
# Checked: every .h/.cpp under nfs/ and provisioner/ (its layer: the longest folder below that
# holds it), every unit test under test/unit/<layer>/ (held to its layer's rule, so a pure
# test cannot pull in libnfs, and each named after the file it tests), and the
# target_link_libraries of each layer's CMakeLists.txt.
use strict;
use warnings;
use File::Find;

# name => [folder, CMake target, the layers it may use]. A layer always uses itself.
my %layers = (
  nfs_values => ['nfs/values', 'np_nfs_values', []],
  nfs        => ['nfs', 'np_nfs', [qw(nfs_values)]],
  base       => ['provisioner/base', 'np_base', []],
  log        => ['provisioner/log', 'np_log', [qw(base)]],
  kube       => ['provisioner/kube', 'np_kube', [qw(base log)]],
  core       => ['provisioner/core', 'np_core', [qw(base nfs_values)]],
  controller => ['provisioner/controller', 'np_controller',
                 [qw(base log kube nfs_values nfs core)]],
  ops        => ['provisioner/ops', 'np_ops', [qw(base log kube nfs_values nfs core controller)]],
  config     => ['provisioner/config', 'np_config', [qw(base nfs_values core)]],
  main       => ['provisioner/main.cpp', 'nfs-provisioner',
                 [qw(base log kube nfs_values nfs core controller ops config)]],
);
my %layer_of_target = map { $layers{$_}[1] => $_ } keys %layers;

# The layer of a path below the source root ("" when none): the longest folder that holds it.
sub layer_of {
  my ($path) = @_;
  my ($best, $length) = ('', -1);
  for my $name (keys %layers) {
    my $folder = $layers{$name}[0];
    next unless $path eq $folder || index($path, "$folder/") == 0;
    ($best, $length) = ($name, length $folder) if length $folder > $length;
  }
  return $best;
}

sub may_use {
  my ($user, $used) = @_;
  return $user eq $used || grep { $_ eq $used } @{$layers{$user}[2]};
}

my @bad;
my @files;
find({no_chdir => 1, wanted => sub { push @files, $File::Find::name if /\.(h|cpp)$/ }},
     grep { -d } qw(nfs provisioner test/unit));
for my $file (sort @files) {
  my $layer = $file =~ m{^test/unit/([^/]+)/} ? $1 : layer_of($file);
  next if $layer eq '' || !exists $layers{$layer};
  open(my $in, '<', $file) or die "$file: $!";
  while (my $line = <$in>) {
    next unless $line =~ /^\s*#\s*include\s*"([^"]+)"/;
    my $used = layer_of($1);
    next if $used eq '' || may_use($layer, $used);
    push @bad, "$file:$.: includes $1: layer $layer may not use $used";
  }
  close $in;
}

# The unit tests mirror the source tree: test/unit/<layer>/<file>_test.cpp tests
# <layer's folder>/<file>.cpp (or .h), and no test file stands elsewhere in test/unit.
for my $file (sort grep { m{^test/unit/} && /\.cpp$/ } @files) {
  my ($layer, $name) = $file =~ m{^test/unit/([^/]+)/([^/]+)_test\.cpp$};
  if (!defined $layer || !exists $layers{$layer}) {
    push @bad, "$file: a unit test is test/unit/<layer>/<file>_test.cpp, for a layer of the table";
  } elsif (!grep { -f "$layers{$layer}[0]/$name.$_" } qw(cpp h)) {
    push @bad, "$file: no $layers{$layer}[0]/$name.cpp or .h for it to test";
  }
}

for my $name (sort keys %layers) {
  my $folder = $layers{$name}[0];
  my $cmake = -d $folder ? "$folder/CMakeLists.txt" : 'provisioner/CMakeLists.txt';
  open(my $in, '<', $cmake) or die "$cmake: $!";
  local $/;
  my $text = <$in>;
  close $in;
  $text =~ s/#[^\n]*//g;
  my $target = $layers{$name}[1];
  push @bad, "$cmake: defines no target $target" unless $text =~ /add_(library|executable)\(\s*\Q$target\E\s/;
  while ($text =~ /target_link_libraries\(\s*\Q$target\E\s([^)]*)\)/g) {
    for my $library ($1 =~ /\b(np_\w+)/g) {
      my $used = $layer_of_target{$library};
      if (!defined $used) {
        push @bad, "$cmake: $target links $library, which is no layer of the table";
      } elsif (!may_use($name, $used)) {
        push @bad, "$cmake: $target links $library: layer $name may not use $used";
      }
    }
  }
}

print "$_\n" for @bad;
print scalar(@files), " files and ", scalar(keys %layers), " libraries checked: ",
      (@bad ? scalar(@bad) . " finding(s)" : "every include and link goes down, every unit test mirrors its file"), "\n";
exit(@bad ? 1 : 0);
