#!/usr/bin/perl
# Turns the wrk RESULT lines collected by bench/peers/rt.sh ("run") into a
# markdown fragment ($OUT) and a machine-readable file ($OUT.json).
# Each figure is the median over the runs, taken per metric.
use strict;
use warnings;
use JSON::PP;
use POSIX qw(strftime);

my $state = $ENV{STATE} or die "STATE not set\n";
my $out   = $ENV{OUT}   or die "OUT not set\n";

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}
sub r1 { defined $_[0] ? 0 + sprintf('%.1f', $_[0]) : undef }
sub r2 { defined $_[0] ? 0 + sprintf('%.2f', $_[0]) : undef }

my (%cmd, @order);
open my $ch, '<', "$state/commands" or die "$state/commands: $!\n";
while (<$ch>) {
    chomp;
    my ($name, $t, $c, $runs, $command) = split /\|/, $_, 5;
    push @order, $name;
    $cmd{$name} = { threads => $t, clients => $c, runs => $runs, command => $command };
}
close $ch;

my %res;
for my $name (@order) {
    open my $fh, '<', "$state/$name.runs" or die "$state/$name.runs: $!\n";
    my @runs;
    while (<$fh>) {
        next unless /^RESULT /;
        my %r = /(\w+)=(\d+)/g;
        my $secs = $r{duration_us} / 1e6;
        push @runs, {
            requests => 0 + $r{requests},
            ok       => $r{requests} - $r{non2xx},
            non2xx   => 0 + $r{non2xx},
            errors   => 0 + $r{errors},
            rps      => ($r{requests} - $r{non2xx}) / $secs,
            p50_ms   => $r{p50_us} / 1000,
            p99_ms   => $r{p99_us} / 1000,
        };
    }
    close $fh;
    die "no runs for $name\n" unless @runs;
    $res{$name} = {
        rps      => r2(median(map { $_->{rps} } @runs)),
        p50_ms   => r1(median(map { $_->{p50_ms} } @runs)),
        p99_ms   => r1(median(map { $_->{p99_ms} } @runs)),
        clients  => 0 + $cmd{$name}{clients},
        runs     => scalar @runs,
        duration_s => 0 + $ENV{DURATION},
        non2xx   => 0 + eval { my $s = 0; $s += $_->{non2xx} for @runs; $s },
        socket_errors => 0 + eval { my $s = 0; $s += $_->{errors} for @runs; $s },
        all_runs => [ map { { rps => r2($_->{rps}), p50_ms => r1($_->{p50_ms}),
                              p99_ms => r1($_->{p99_ms}), requests => $_->{requests},
                              non2xx => $_->{non2xx} } } @runs ],
        command  => $cmd{$name}{command},
    };
}

chomp(my $nproc = `nproc`);
my ($cpu) = `grep -m1 'model name' /proc/cpuinfo` =~ /:\s*(.*)/;
$cpu //= 'unknown';
my $date = strftime('%Y-%m-%d %H:%M UTC', gmtime);

my %json = (
    rt_version         => $ENV{RTVER},
    rt_package_version => "request-tracker5 $ENV{PKGVER}",
    loadavg_before     => $ENV{LOAD_BEFORE},
    loadavg_after      => $ENV{LOAD_AFTER},
    date               => $date,
    machine            => { nproc => 0 + $nproc, cpu => $cpu },
    database           => 'SQLite (rt5-db-sqlite, dbconfig-common)',
    server             => "rt-server (Starlet prefork, $ENV{WORKERS} workers), 127.0.0.1",
    auth               => 'RT web session cookie (one login per connection)',
    seed_tickets       => 0 + $ENV{NSEED},
    seed_id_range      => [ 0 + $ENV{SEEDLO}, 0 + $ENV{SEEDHI} ],
    tickets_at_end     => ($ENV{NTICKETS} =~ /^\d+$/ ? 0 + $ENV{NTICKETS} : undef),
    search_words       => [ split /,/, $ENV{WORDS} ],
    %res,
);

my %label = (
    create_1 => 'create ticket, 1 client',
    create_8 => 'create ticket, 8 clients',
    read     => 'read ticket by id, 8 clients (saturation)',
    search   => "search Subject LIKE word, 50/page, 8 clients",
    read_basic_auth => 'read by id with HTTP basic auth, 8 clients (reference)',
);

my $md = '';
$md .= "#### Peer: Request Tracker $ENV{RTVER} (REST 2.0) — $date\n\n";
$md .= "- Machine: $nproc cores, $cpu; client wrk (Debian) on the same machine, 127.0.0.1, keep-alive.\n";
$md .= "- RT: Debian `request-tracker5` $ENV{PKGVER}, SQLite backend (`rt5-db-sqlite`), "
     . "RT's own standalone server `rt-server --server Starlet --max-workers $ENV{WORKERS}` run as www-data, "
     . "default scrips on (HTML templates rendered with RT's built-in converter, outgoing mail to an mbox file); "
     . "installed and started by `bash bench/peers/rt.sh run FILE`.\n";
$md .= "- Auth: RT web session cookie (one `/NoAuth/Login.html` login per connection). "
     . "HTTP basic auth also works but costs a bcrypt check (cost 12) on every request; see the reference row.\n";
$md .= "- Data: $ENV{NSEED} seed tickets (ids $ENV{SEEDLO}–$ENV{SEEDHI}, made in-process with RT::Ticket->Create, "
     . "scrips off, $ENV{SEEDSECS} s this run), $ENV{NTICKETS} tickets in total at the end (creates accumulate across runs). "
     . "Reads pick a random seed id; searches rotate over the words $ENV{WORDS}, each matching ~5 % of the seed tickets "
     . "(`Subject LIKE 'word'`, 50 per page, fields Subject,Status,Created).\n";
$md .= "- Machine load (loadavg 1/5/15 min) before measuring: $ENV{LOAD_BEFORE}; after: $ENV{LOAD_AFTER}. "
     . "Other work on the machine at the same time skews these figures.\n";
$md .= "- Each figure: median of $ENV{RUNS} runs of $ENV{DURATION} s after a $ENV{WARMUP} s warm-up at 8 clients; "
     . "req/s counts only 2xx answers. Whole `run` took $ENV{ELAPSED} s.\n\n";
# opsledger's own figures, when bench/run.sh passes them (req/s)
my %ops = (create_1 => 'BENCH_OPSLEDGER_CREATE1', create_8 => 'BENCH_OPSLEDGER_CREATE8',
           read => 'BENCH_OPSLEDGER_READ_SAT', search => 'BENCH_OPSLEDGER_SEARCH');
my $num = qr/^\s*(\d+(?:\.\d+)?)\s*$/;
my $have_ops = grep { ($ENV{$_} // '') =~ $num } values %ops;
if ($have_ops) {
    $md .= "| work | RT req/s | RT p50 | RT p99 | opsledger req/s | opsledger ÷ RT |\n|---|---:|---:|---:|---:|---:|\n";
} else {
    $md .= "| work | RT req/s | RT p50 | RT p99 |\n|---|---:|---:|---:|\n";
}
for my $name (@order) {
    my $r = $res{$name};
    my $note = $r->{non2xx} ? " ($r->{non2xx} non-2xx)" : '';
    $md .= sprintf "| %s | %.1f%s | %.1f ms | %.1f ms |",
      $label{$name} // $name, $r->{rps}, $note, $r->{p50_ms}, $r->{p99_ms};
    if ($have_ops) {
        my $o = exists $ops{$name} ? ($ENV{ $ops{$name} } // '') : '';
        if ($o =~ $num && $r->{rps} > 0) {
            my $ratio = $1 / $r->{rps};
            $md .= sprintf " %s | %s× |", $1, $ratio >= 100 ? sprintf('%.0f', $ratio) : sprintf('%.1f', $ratio);
            $res{$name}{opsledger_rps} = 0 + $1;
            $res{$name}{ratio_opsledger_over_rt} = r1($ratio);
        } else {
            $md .= " – | – |";
        }
    }
    $md .= "\n";
}
$md .= "\nRuns (req/s, p50 ms, p99 ms):\n\n";
for my $name (@order) {
    $md .= "- $name: " . join('; ', map { "$_->{rps} / $_->{p50_ms} / $_->{p99_ms}" } @{ $res{$name}{all_runs} }) . "\n";
}
$md .= "\nCommands (from the repository root). To rerun one by hand: `bash bench/peers/rt.sh start PORT` "
     . "(starts RT, logs in, writes the session cookies to `$state/cookies.txt`), the command, then `bash bench/peers/rt.sh stop`:\n\n```\n";
$md .= "$res{$_}{command}\n" for @order;
$md .= "```\n";
open my $mf, '>', $out or die "$out: $!\n";
print $mf $md;
close $mf;
open my $jf, '>', "$out.json" or die "$out.json: $!\n";
print $jf JSON::PP->new->pretty->canonical->encode(\%json);
close $jf;
