#!/usr/bin/perl
# diffinfo.pl — helpers for tests/compat/same-output.sh.
#
#   diffinfo.pl mask IN OUT
#       Copy the model file IN to OUT with the one wall-clock value of a checkpoint, the
#       trainer state's "elapsed=..." line (section TRST), replaced by "elapsed=MASKED"
#       (that section's length field is updated and its CRC field set to 0). Every other
#       byte is kept. Exit status 2 when IN is not a model file.
#   diffinfo.pl describe A B BYTE LABEL_A LABEL_B
#       Say where A and B first differ (BYTE, 1-based, from cmp): in model files the section
#       and, for float32 sections, the element and both values; in text the line, column and
#       both lines around the difference. The first output line continues "first difference
#       at byte BYTE"; further lines are details.
#
# Model files (src/model/modelfile.h): "NMTCMODL", u32 version, u32 section count, then
# sections of char tag[4], u64 length, u32 CRC-32, payload; little-endian.
use strict;
use warnings;

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "diffinfo.pl: $path: $!\n";
    local $/;
    my $data = <$fh>;
    close $fh;
    return defined $data ? $data : '';
}

# Sections as [tag, header offset, payload offset, payload length], or undef if not a model file.
sub sections {
    my ($data) = @_;
    return undef if length($data) < 16 || substr($data, 0, 8) ne 'NMTCMODL';
    my $n = unpack('V', substr($data, 12, 4));
    my ($pos, @out) = (16);
    for (1 .. $n) {
        return undef if $pos + 16 > length($data);
        my $tag = substr($data, $pos, 4);
        my $len = unpack('Q<', substr($data, $pos + 4, 8));
        return undef if $pos + 16 + $len > length($data);
        push @out, [$tag, $pos, $pos + 16, $len];
        $pos += 16 + $len;
    }
    return \@out;
}

sub first_diff {    # 0-based offset of the first differing byte of two strings
    my ($x, $y) = @_;
    my $n = length($x) < length($y) ? length($x) : length($y);
    for (my $i = 0; $i < $n; $i++) { return $i if substr($x, $i, 1) ne substr($y, $i, 1); }
    return $n;
}

sub printable { my ($s) = @_; return $s !~ /[\x00-\x08\x0e-\x1f]/; }

# Line number, column and a window of both lines around 0-based offset $at of texts $x, $y.
sub text_context {
    my ($x, $y, $at, $la, $lb) = @_;
    my $start = rindex($x, "\n", $at - 1) + 1;
    $start = 0 if $at == 0;
    my $line = 1 + (substr($x, 0, $start) =~ tr/\n//);
    my $col = $at - $start;
    my @out = (sprintf("line %d, its byte %d", $line, $col + 1));
    my $from = $col > 50 ? $col - 50 : 0;
    for my $pair ([$la, $x], [$lb, $y]) {
        my ($label, $t) = @$pair;
        my $end = index($t, "\n", $start);
        $end = length($t) if $end < 0;
        my $bytes = $start + $from < length($t) ? substr($t, $start + $from, 130) : '';
        $bytes = substr($bytes, 0, $end - $start - $from) if $end - $start - $from < length($bytes);
        $bytes =~ s/^[\x80-\xbf]+//;    # whole UTF-8 characters only at both ends of the window
        if ($bytes =~ /([\xc0-\xff][\x80-\xbf]*)\z/) {
            my $lead = ord($1);
            my $need = $lead >= 0xf0 ? 4 : $lead >= 0xe0 ? 3 : 2;
            substr($bytes, -length($1)) = '' if length($1) < $need;
        }
        $bytes =~ s/\t/\\t/g;
        push @out, sprintf("    %-8s %s%s", "$label:", $from ? '...' : '', $bytes);
    }
    return @out;
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'mask' && @ARGV == 2) {
    my ($in, $outpath) = @ARGV;
    my $data = slurp($in);
    my $secs = sections($data) or exit 2;
    my $out = substr($data, 0, 16);
    for my $s (@$secs) {
        my ($tag, $hdr, $off, $len) = @$s;
        if ($tag eq 'TRST') {
            my $payload = substr($data, $off, $len);
            $payload =~ s/^elapsed=[^\n]*$/elapsed=MASKED/m;
            $out .= $tag . pack('Q<', length $payload) . pack('V', 0) . $payload;
        } else {
            $out .= substr($data, $hdr, 16 + $len);
        }
    }
    my $last = @$secs ? $secs->[-1] : undef;
    $out .= substr($data, $last ? $last->[2] + $last->[3] : 16);    # any bytes after the last section
    open(my $fh, '>:raw', $outpath) or die "diffinfo.pl: $outpath: $!\n";
    print $fh $out;
    close $fh or die "diffinfo.pl: $outpath: $!\n";
    exit 0;
} elsif ($cmd eq 'describe' && @ARGV == 5) {
    my ($pa, $pb, $byte, $la, $lb) = @ARGV;
    my ($a, $b) = (slurp($pa), slurp($pb));
    my $at = $byte - 1;
    my ($sa, $sb) = (sections($a), sections($b));
    if ($sa && $sb) {
        if ($at < 16) { print "in the file header (magic, version or section count)\n"; exit 0; }
        for my $i (0 .. $#$sa) {
            my ($tag, $hdr, $off, $len) = @{$sa->[$i]};
            my $o = $sb->[$i];
            if (!$o || $o->[0] ne $tag) {
                printf "at section %d: %s in %s, %s in %s\n", $i + 1, $tag, $la, $o ? $o->[0] : 'none', $lb;
                exit 0;
            }
            my ($pa_, $pb_) = (substr($a, $off, $len), substr($b, $o->[2], $o->[3]));
            next if $pa_ eq $pb_;
            my $d = first_diff($pa_, $pb_);
            if ($len != $o->[3]) {
                printf "in section %s (%d bytes in %s, %d in %s), from its byte %d\n", $tag, $len, $la, $o->[3], $lb, $d + 1;
            } else {
                printf "in section %s, its byte %d of %d\n", $tag, $d + 1, $len;
            }
            if ($tag =~ /^(PARM|ADMM|ADMV|EMAW)$/ && $d + 4 <= $len && $d + 4 <= $o->[3]) {
                my $k = int($d / 4);
                printf "    float32 element %d of %d: %.9g (%s) vs %.9g (%s)\n", $k, int($len / 4),
                    unpack('f<', substr($pa_, 4 * $k, 4)), $la, unpack('f<', substr($pb_, 4 * $k, 4)), $lb;
            } elsif (printable($pa_) && printable($pb_)) {
                my @c = text_context($pa_, $pb_, $d, $la, $lb);
                print "    $_\n" for @c;
            }
            exit 0;
        }
        print "in the bytes after the last section\n";
    } elsif (printable($a) && printable($b)) {
        my @c = text_context($a, $b, $at, $la, $lb);
        my $first = shift @c;
        print "$first\n";
        print "$_\n" for @c;
    } else {
        printf "\n    bytes there: %s (%s) vs %s (%s)\n", unpack('H*', substr($a, $at, 8)) || 'EOF', $la,
            unpack('H*', substr($b, $at, 8)) || 'EOF', $lb;
    }
    exit 0;
}
print STDERR "usage: diffinfo.pl mask IN OUT | diffinfo.pl describe A B BYTE LABEL_A LABEL_B\n";
exit 64;
