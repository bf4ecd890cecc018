#!/usr/bin/perl
# Helper for bench/peers/rt.sh: talks to Request Tracker 5 through its own
# Perl API (the Debian package's libraries), in-process, no HTTP.
#
#   rt_helper.pl check-db            exit 0 if RT's database is initialised
#   rt_helper.pl set-password USER   read a password on stdin, set it
#   rt_helper.pl seed N [BATCH]      make sure >= N "seed" tickets exist
#   rt_helper.pl seed-range          print "MIN MAX COUNT" of the seed tickets
#   rt_helper.pl version             print $RT::VERSION
#
# Seed tickets are created with RT::Ticket->Create (ticket, Create
# transaction, attachment, ACL checks; scrips switched off, see below),
# BATCH tickets per database transaction. Subjects are "seed <word> <word> issue <n>" from a fixed
# 40-word vocabulary, so "Subject LIKE 'printer'" matches about 5 %.
use strict;
use warnings;
use lib "/usr/local/share/request-tracker5/lib";
use lib "/usr/share/request-tracker5/lib";
use Time::HiRes qw(time);

my $cmd = shift @ARGV // '';

require RT;
RT::LoadConfig();

if ($cmd eq 'version') {
    print "$RT::VERSION\n";
    exit 0;
}

if ($cmd eq 'check-db') {
    RT::InitLogging();
    require RT::Handle;
    my ($ok, $state, $msg) = RT::Handle->CheckIntegrity;
    print STDERR "rt_helper: database not ready: $msg\n" unless $ok;
    exit($ok ? 0 : 1);
}

RT::Init();

our @WORDS = qw(alpha bravo charlie delta echo foxtrot golf hotel india juliet
  kilo lima mike november oscar papa quebec romeo sierra tango uniform victor
  whiskey xray yankee zulu printer network laptop password email vpn database
  backup server monitor keyboard license firewall invoice);

sub seed_stats {
    my $sth = $RT::Handle->SimpleQuery(
        "SELECT MIN(id), MAX(id), COUNT(*) FROM Tickets WHERE Subject LIKE 'seed %'");
    die "query failed: $sth\n" unless $sth;
    my @r = $sth->fetchrow_array;
    return map { $_ // 0 } @r;
}

if ($cmd eq 'set-password') {
    my $name = shift @ARGV or die "usage: set-password USER\n";
    my $pw = <STDIN>;
    defined $pw or die "no password on stdin\n";
    chomp $pw;
    my $u = RT::User->new(RT->SystemUser);
    $u->Load($name);
    die "no such RT user $name\n" unless $u->id;
    if ($u->IsPassword($pw)) { print "password already set\n"; exit 0 }
    my ($ok, $msg) = $u->SetPassword($pw);
    die "SetPassword failed: $msg\n" unless $ok;
    print "$msg\n";
    exit 0;
}

if ($cmd eq 'seed-range') {
    print join(' ', seed_stats()), "\n";
    exit 0;
}

if ($cmd eq 'seed') {
    my $want  = shift @ARGV // 3000;
    my $batch = shift @ARGV // 100;
    my (undef, undef, $have) = seed_stats();
    if ($have >= $want) {
        print "seed: $have seed tickets already present (wanted $want)\n";
        exit 0;
    }
    # Seed data only feeds the read and search loads, so scrips (auto-reply,
    # notifications: ~5 template renders per ticket) are switched off here to
    # keep seeding within its time bound. The measured creates (over HTTP)
    # run RT's scrips as configured.
    {
        no warnings 'redefine';
        my $orig = \&RT::Record::_NewTransaction;
        *RT::Record::_NewTransaction = sub { my $self = shift; $orig->($self, @_, ActivateScrips => 0) };
    }
    my $cu = RT::CurrentUser->new;
    $cu->Load('root');
    die "no root user\n" unless $cu->id;
    my $t0 = time;
    my $n  = $have;
    while ($n < $want) {
        $RT::Handle->BeginTransaction;
        for (1 .. $batch) {
            last if $n >= $want;
            my $i = $n + 1;
            my $subj = sprintf 'seed %s %s issue %d',
              $WORDS[ $i % @WORDS ], $WORDS[ ($i * 7 + 3) % @WORDS ], $i;
            my $body = sprintf 'Seed ticket %d: the %s is broken since %s, please help.',
              $i, $WORDS[ ($i * 3) % @WORDS ], $WORDS[ ($i * 11) % @WORDS ];
            my $t = RT::Ticket->new($cu);
            my ($id, undef, $msg) = $t->Create(
                Queue   => 'General',
                Subject => $subj,
                MIMEObj => MIME::Entity->build(
                    Data => [$body], Type => 'text/plain', Charset => 'UTF-8'),
            );
            unless ($id) { $RT::Handle->Rollback; die "create failed: $msg\n" }
            $n++;
        }
        $RT::Handle->Commit;
    }
    printf "seed: created %d tickets in %.1f s (%.1f/s); %d seed tickets now\n",
      $n - $have, time - $t0, ($n - $have) / ((time - $t0) || 1), $n;
    exit 0;
}

die "usage: rt_helper.pl check-db|set-password USER|seed N [BATCH]|seed-range|version\n";
