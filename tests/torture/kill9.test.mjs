// tests/torture/kill9.test.mjs - kill -9 under write load, OPSLEDGER_TORTURE_ROUNDS rounds (20 by
// default) on SQLite and on PostgreSQL: eight clients create records, comment, update and
// transition them as fast as they can and log every acknowledged answer; the server is killed
// with SIGKILL at a random moment; after the restart every acknowledged write is present and
// intact (through the API and in the database), each record has exactly one record.create audit
// row, one audit row per version step and per comment, history for every version, and the
// numbers have no gaps. Zero lost.
//
// PostgreSQL: the cluster named by OPSLEDGER_TEST_PG_CLUSTER, or else one this file starts with
// scripts/pg-test-cluster.sh (skipped, saying why, when PostgreSQL is not installed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../api/harness.mjs';
import { Ledger, ensurePgCluster, killRound, sqlite3Missing, verifyAfterRestart } from './lib.mjs';

const TORTURE = process.env.OPSLEDGER_TORTURE === '1';
const ROUNDS = Number(process.env.OPSLEDGER_TORTURE_ROUNDS || 20);
const CLIENTS = 8;

for (const backend of ['sqlite', 'pg']) {
    describe(`torture kill -9 [${backend}]`, () => {
        let srv = null;
        let skip = TORTURE ? null : 'set OPSLEDGER_TORTURE=1 (make torture) to run the long tests';
        let pg = null;
        const ledger = new Ledger(`Torture-${backend}`);
        const totals = { rounds: 0, inFlight: 0, resolvedMaybe: 0, adopted: 0 };
        const t0 = Date.now();

        before(async () => {
            if (skip) return;
            if (backend === 'sqlite') skip = sqlite3Missing();
            if (backend === 'pg') {
                pg = ensurePgCluster();
                skip = pg.reason;
            }
            if (!skip) srv = await startServer({ backend });
        });
        after(async () => {
            await srv?.stop();
            pg?.stop();
        });

        for (let round = 1; round <= ROUNDS; round++) {
            test(`torture-kill9-${backend}-${round} SIGKILL at a random moment of the write load loses nothing acknowledged`, async (t) => {
                if (skip) return t.skip(skip);
                const r = await killRound(srv, ledger, { clients: CLIENTS, minMs: 150, maxMs: 2500, cap: 20_000 });
                totals.rounds++;
                totals.inFlight += r.inFlight;
                totals.resolvedMaybe += r.resolvedMaybe;
                totals.adopted += r.adopted;
                t.diagnostic(`killed after ${r.delay} ms; acknowledged ${JSON.stringify(r.acked)}; ${r.inFlight} under way, ` +
                    `${r.resolvedMaybe + r.adopted} of them committed; store ${r.records} records, all ${r.acknowledged} acknowledged ones intact`);
                assert.ok(r.acked.create + r.acked.comment + r.acked.update + r.acked.transition > 0, 'the round acknowledged writes');
            });
        }

        test(`torture-kill9-${backend}-end a clean restart after the rounds keeps everything`, async (t) => {
            if (skip) return t.skip(skip);
            await srv.restart();
            const v = await verifyAfterRestart(srv, ledger);
            t.diagnostic(`${totals.rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s: acknowledged ${JSON.stringify(ledger.counts)}; ` +
                `${v.records} records in the store, ${v.acknowledged} acknowledged, 0 lost; ${totals.inFlight} writes were under way at the kills, ` +
                `${totals.resolvedMaybe + totals.adopted} of them had committed`);
            assert.equal(totals.rounds, ROUNDS);
        });
    });
}
