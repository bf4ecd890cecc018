// tests/torture/connections.test.mjs - a long run of hostile connections against one server, with
// its RSS sampled from /proc/PID/status: waves of 10,000 concurrent keep-alive connections, a
// slowloris of 1,000 clients trickling headers for OPSLEDGER_TORTURE_SLOW_SECONDS (60 by
// default) beside ordinary clients, and 1,000 clients that go silent mid-request (closed after
// request_timeout). The server answers the others promptly throughout, gives back its
// descriptors, its peak memory is the same from one wave to the next, and what a wave took is
// given back afterwards (serve returns freed heap pages to the system every 10 s).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { sleep, startServer } from '../api/harness.mjs';
import { fdCount, openConnections, openFileLimit, percentile, rssKb, sanitized, slowClient } from './lib.mjs';

const TORTURE = process.env.OPSLEDGER_TORTURE === '1';
const CONNS = 10_000;
const WAVES = 3;
const SLOW = 1000;
const SLOW_SECONDS = Number(process.env.OPSLEDGER_TORTURE_SLOW_SECONDS || 60);
const TIMEOUT_S = 30; // the default request_timeout: opening 10,000 connections can take 10 s on a busy machine
const MB = 1024;

describe('torture connections and memory [sqlite]', () => {
    let srv = null;
    let skip = TORTURE ? null : 'set OPSLEDGER_TORTURE=1 (make torture) to run the long tests';
    let conns = CONNS;
    let fd0 = 0;
    let rss0 = 0;
    const peaks = [];
    const rssAfterWave = [];

    before(async () => {
        if (skip) return;
        const limit = openFileLimit();
        if (limit < CONNS + 500) conns = Math.max(1000, limit - 500);
        srv = await startServer();
        for (let i = 0; i < 50; i++) {
            const res = await srv.api('POST', '/api/v1/articles', { body: { title: `Warm-up ${i}`, body: 'b'.repeat(500) } });
            assert.equal(res.status, 201);
        }
    });
    after(async () => {
        await srv?.stop();
    });

    /** n mixed requests from an ordinary client; returns their latencies in ms. */
    async function probe(n) {
        const lat = [];
        for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            const res =
                i % 4 === 0
                    ? await srv.api('POST', '/api/v1/articles', { body: { title: `Probe ${Date.now()} ${i}` } })
                    : await srv.api('GET', `/api/v1/articles/KB-${String(1 + (i % 50)).padStart(6, '0')}`);
            lat.push(performance.now() - t0);
            assert.ok(res.status === 200 || res.status === 201, res.text);
        }
        return lat;
    }

    async function fdsBack(what) {
        let fd = fdCount(srv.pid);
        for (let i = 0; i < 100 && fd > fd0 + 20; i++) {
            await sleep(100);
            fd = fdCount(srv.pid);
        }
        assert.ok(fd <= fd0 + 20, `${what}: the server holds ${fd} descriptors, ${fd0} before`);
    }

    test('torture-conn-1 warm-up and baseline', async (t) => {
        if (skip) return t.skip(skip);
        await probe(2000);
        fd0 = fdCount(srv.pid);
        rss0 = rssKb(srv.pid);
        t.diagnostic(`baseline after 2,000 requests: RSS ${rssKb(srv.pid)} KiB, ${fd0} descriptors; ${conns} connections per wave`);
    });

    for (let wave = 1; wave <= WAVES; wave++) {
        test(`torture-conn-2.${wave} ${CONNS} concurrent keep-alive connections: all answered, others answered promptly, all given back`, async (t) => {
            if (skip) return t.skip(skip);
            const t0 = Date.now();
            const c = await openConnections(srv.url, conns, { batch: 1000, timeoutMs: 10_000 });
            let peak;
            let lat;
            try {
                assert.equal(c.failed, 0, `${c.failed} of ${conns} connections were not answered within 10 s`);
                assert.ok(fdCount(srv.pid) >= fd0 + conns * 0.95, 'the server holds them all at once');
                lat = await probe(100);
                peak = rssKb(srv.pid);
            } finally {
                c.close();
            }
            await fdsBack(`wave ${wave}`);
            // Given back within the server's trim interval (10 s) and a margin.
            const t1 = Date.now();
            let rss = rssKb(srv.pid);
            while (rss > rss0 + 16 * MB && Date.now() - t1 < 15_000) {
                await sleep(500);
                rss = rssKb(srv.pid);
            }
            peaks.push(peak);
            rssAfterWave.push(rss);
            t.diagnostic(`wave ${wave}: ${conns} connections open in ${Date.now() - t0} ms; RSS peak ${peak} KiB, ${rss} KiB ` +
                `${((Date.now() - t1) / 1000).toFixed(1)} s after they closed (baseline ${rss0}); others p50 ${percentile(lat, 50).toFixed(1)} ms p99 ${percentile(lat, 99).toFixed(1)} ms`);
            assert.ok(percentile(lat, 99) < 2000, 'other clients are answered promptly');
            if (!sanitized(srv.pid)) assert.ok(rss <= rss0 + 16 * MB, `RSS ${rss} KiB after the wave, baseline ${rss0} KiB: memory was kept`);
        });
    }

    test('torture-conn-2.9 memory is flat from one wave to the next', async (t) => {
        if (skip) return t.skip(skip);
        t.diagnostic(`RSS peak in each wave: ${peaks.join(', ')} KiB; after each: ${rssAfterWave.join(', ')} KiB`);
        for (const p of peaks.slice(1)) assert.ok(p <= peaks[0] * 1.1 + 16 * MB, `the peak grew from ${peaks[0]} to ${p} KiB over the waves`);
    });

    test(`torture-conn-3 ${SLOW} slowloris clients for ${SLOW_SECONDS} s beside ordinary clients: answered promptly, memory flat, nothing processed`, async (t) => {
        if (skip) return t.skip(skip);
        const countBefore = (await srv.api('GET', '/api/v1/search?q=Slow%20body&limit=200')).json.items.length;
        const slow = [];
        for (let i = 0; i < SLOW; i++) {
            slow.push(i % 10 === 9
                ? slowClient(srv.url, { intervalMs: 1000, token: srv.token, body: `{"title":"Slow body ${i}","body":"${'s'.repeat(500)}"}` })
                : slowClient(srv.url, { intervalMs: 1000, token: srv.token }));
            if (i % 100 === 99) await sleep(20);
        }
        const samples = [];
        const lat = [];
        const end = Date.now() + SLOW_SECONDS * 1000;
        try {
            let next = 0;
            while (Date.now() < end) {
                if (Date.now() >= next) {
                    samples.push(rssKb(srv.pid));
                    next = Date.now() + 2000;
                }
                lat.push(...(await probe(20)));
                await sleep(50);
            }
            const kept = slow.filter((s) => !s.closedByServer()).length;
            const third = Math.max(1, Math.floor(samples.length / 3));
            const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
            const early = mean(samples.slice(0, third));
            const late = mean(samples.slice(-third));
            t.diagnostic(`${lat.length} ordinary requests: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms; ` +
                `RSS ${samples[0]} .. ${Math.max(...samples)} KiB (first third ${early.toFixed(0)}, last third ${late.toFixed(0)}); ` +
                `${kept} of ${SLOW} trickling clients still connected`);
            assert.ok(percentile(lat, 99) < 2000, 'ordinary clients are answered promptly');
            assert.ok(late <= early * 1.1 + 8 * MB, `RSS grew from ${early} to ${late} KiB while the slowloris ran`);
        } finally {
            for (const s of slow) s.stop();
        }
        await fdsBack('after the slowloris');
        const countAfter = (await srv.api('GET', '/api/v1/search?q=Slow%20body&limit=200')).json.items.length;
        assert.equal(countAfter, countBefore, 'no slow body was processed');
    });

    test(`torture-conn-4 ${SLOW} clients that go silent mid-request are closed after request_timeout (${TIMEOUT_S} s)`, async (t) => {
        if (skip) return t.skip(skip);
        const { port } = new URL(srv.url);
        const t0 = Date.now();
        const partial = ['', 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"title"'];
        const closedAt = await Promise.all(
            Array.from({ length: SLOW }, (_, i) =>
                new Promise((resolve) => {
                    const s = net.connect({ host: '127.0.0.1', port: Number(port) }, () => partial[i % 3] && s.write(partial[i % 3]));
                    const timer = setTimeout(() => {
                        s.destroy();
                        resolve(null);
                    }, (TIMEOUT_S + 20) * 1000);
                    s.on('error', () => {});
                    s.on('close', () => {
                        clearTimeout(timer);
                        resolve(Date.now() - t0);
                    });
                }),
            ),
        );
        const never = closedAt.filter((x) => x === null).length;
        const ms = closedAt.filter((x) => x !== null);
        t.diagnostic(`closed between ${Math.min(...ms)} and ${Math.max(...ms)} ms; ${never} never closed; RSS ${rssKb(srv.pid)} KiB`);
        assert.equal(never, 0, 'every silent client is closed');
        assert.ok(Math.min(...ms) >= (TIMEOUT_S - 1) * 1000, 'not before the timeout');
        await fdsBack('after the silent clients');
        assert.equal((await srv.api('GET', '/healthz')).status, 200);
    });
});
