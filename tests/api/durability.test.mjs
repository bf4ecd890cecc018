// tests/api/durability.test.mjs - every acknowledged write survives a crash: concurrent clients
// create records, the server is killed with SIGKILL (at rest and in the middle of a write
// burst), restarted on the same store, and every 201 it gave is read back; numbering continues
// after the restart without reusing a number.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, pool, sleep, startServer } from './harness.mjs';

const CLIENTS = 8;
const PER_CLIENT = 25;
const ROUNDS = 3;
const BURST_CAP = 400; // creates per client per burst at most, so a burst always ends

for (const backend of backends()) {
    describe(`durability [${backend}]`, () => {
        let srv;
        const acked = new Map(); // number -> title, every 201 the server gave

        before(async () => {
            srv = await startServer({ backend });
        });
        after(async () => {
            await srv?.stop();
        });

        function ack(res, title) {
            assert.equal(res.json.title, title);
            assert.ok(!acked.has(res.json.number), `number ${res.json.number} acknowledged twice`);
            acked.set(res.json.number, title);
        }

        async function verifyAcked() {
            const entries = [...acked.entries()];
            const bad = (
                await pool(entries, CLIENTS, async ([number, title]) => {
                    const res = await srv.api('GET', `/api/v1/articles/${number}`);
                    if (res.status !== 200) return `${number}: ${res.status}`;
                    if (res.json.title !== title) return `${number}: title ${res.json.title}, expected ${title}`;
                    return null;
                })
            ).filter(Boolean);
            assert.deepEqual(bad, [], `acknowledged records lost after the crash: ${bad.slice(0, 10).join('; ')}`);
        }

        /** Every record in the store, by paging through the list. */
        async function allNumbers() {
            const out = [];
            let cursor = null;
            for (let page = 0; page < 100; page++) {
                const res = await srv.api('GET', `/api/v1/articles?limit=200&sort=number${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
                assert.equal(res.status, 200, res.text);
                out.push(...res.json.items.map((r) => r.number));
                cursor = res.json.next_cursor;
                if (!cursor) return out;
            }
            throw new Error('the list did not end');
        }

        test('durability-1.1 8 concurrent clients x 25 creates are all acknowledged', async () => {
            await Promise.all(
                Array.from({ length: CLIENTS }, async (_, c) => {
                    for (let i = 0; i < PER_CLIENT; i++) {
                        const title = `Client ${c} article ${i}`;
                        const res = await srv.api('POST', '/api/v1/articles', { body: { title, tags: [`client-${c}`] } });
                        assert.equal(res.status, 201, res.text);
                        ack(res, title);
                    }
                }),
            );
            assert.equal(acked.size, CLIENTS * PER_CLIENT);
            const numbers = [...acked.keys()].map((n) => Number(n.slice(3))).sort((a, b) => a - b);
            assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'numbers 1..200 without gaps');
        });

        test('durability-1.2 after kill -9 and restart every acknowledged record is readable', async () => {
            const oldPid = srv.pid;
            await srv.kill9();
            await srv.restart();
            assert.notEqual(srv.pid, oldPid);
            await verifyAcked();
            assert.equal((await allNumbers()).length, acked.size);
        });

        for (let round = 1; round <= ROUNDS; round++) {
            test(`durability-2.${round} kill -9 at a random moment of a write burst loses no acknowledged write`, async (t) => {
                let stop = false;
                let inBurst = 0;
                const errors = [];
                const clients = Array.from({ length: CLIENTS }, async (_, c) => {
                    for (let i = 0; i < BURST_CAP && !stop; i++) {
                        const title = `Burst ${round} client ${c} article ${i}`;
                        let res;
                        try {
                            res = await srv.api('POST', '/api/v1/articles', { body: { title }, timeoutMs: 10_000 });
                        } catch {
                            return; // the server is gone: this write was never acknowledged
                        }
                        if (res.status === 201) {
                            ack(res, title);
                            inBurst++;
                        } else {
                            errors.push(`${res.status} ${res.text}`);
                            return;
                        }
                    }
                });
                const delay = 20 + Math.floor(Math.random() * 400);
                await sleep(delay);
                await srv.kill9();
                stop = true;
                await Promise.all(clients);
                assert.deepEqual(errors, [], 'only 201 or a dropped connection while the server runs');
                await srv.restart();
                await verifyAcked();
                const all = await allNumbers();
                assert.equal(new Set(all).size, all.length, 'no number appears twice');
                for (const n of acked.keys()) assert.ok(all.includes(n), n);
                t.diagnostic(`killed after ${delay} ms, ${inBurst} acknowledged in the burst`);
            });
        }

        test('durability-3.1 after the restarts the number sequence continues without reuse', async () => {
            const before = await allNumbers();
            const max = Math.max(...before.map((n) => Number(n.slice(3))));
            const created = [];
            for (let i = 0; i < 3; i++) {
                const title = `After restart ${i}`;
                const res = await srv.api('POST', '/api/v1/articles', { body: { title } });
                assert.equal(res.status, 201, res.text);
                assert.ok(!before.includes(res.json.number), `${res.json.number} was reused`);
                ack(res, title);
                created.push(Number(res.json.number.slice(3)));
            }
            assert.deepEqual(created, [max + 1, max + 2, max + 3]);
            await verifyAcked();
        });

        test('durability-3.3 SIGTERM in the middle of a write burst stops cleanly and loses no acknowledged write', async (t) => {
            let stop = false;
            let inBurst = 0;
            const clients = Array.from({ length: CLIENTS }, async (_, c) => {
                for (let i = 0; i < BURST_CAP && !stop; i++) {
                    const title = `Term burst client ${c} article ${i}`;
                    let res;
                    try {
                        res = await srv.api('POST', '/api/v1/articles', { body: { title }, timeoutMs: 10_000 });
                    } catch {
                        return;
                    }
                    if (res.status !== 201) return; // 503 while stopping is acceptable
                    ack(res, title);
                    inBurst++;
                }
            });
            const delay = 20 + Math.floor(Math.random() * 300);
            await sleep(delay);
            const restarted = srv.restart(); // SIGTERM, wait for a clean exit, start again
            await restarted;
            stop = true;
            await Promise.all(clients);
            t.diagnostic(`SIGTERM after ${delay} ms, ${inBurst} acknowledged in the burst`);
            await verifyAcked();
        });

        test('durability-3.2 a clean restart (SIGTERM) keeps everything too', async () => {
            await srv.restart();
            await verifyAcked();
            const res = await srv.api('GET', '/readyz', { token: null });
            assert.equal(res.status, 200);
        });
    });
}
