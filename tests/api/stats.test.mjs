// tests/api/stats.test.mjs - counts for dashboards and charts (issue 5: home counts, charts):
// GET /api/v1/{type}/stats?by=... with the list's filters, search and data scope (S5), and the
// [empty] filter operator ("unassigned").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, fieldErrors, startServer } from './harness.mjs';

const BODY = 'A body long enough to be published by an editor.';

for (const backend of backends()) {
    describe(`stats [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);
        const as = (user) => ({ token: srv.tokens[user] });

        before(async () => {
            srv = await startServer({ backend, users: [{ name: 'dora', roles: ['kb_author'] }, { name: 'eve', roles: ['tester'] }] });
        });
        after(async () => {
            await srv?.stop();
        });

        async function create(fields) {
            const res = await api('POST', '/api/v1/articles', { body: { body: BODY, ...fields } });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function stats(qs, opts) {
            const res = await api('GET', `/api/v1/articles/stats?${qs}`, opts);
            assert.equal(res.status, 200, `${qs}: ${res.text}`);
            return res.json;
        }
        const asMap = (s) => Object.fromEntries(s.counts.map((c) => [c.value, c.count]));

        test('stats-1 counts by state and by a choice field agree with the lists', async () => {
            await create({ title: '磁盘空间不足 处理', category: 'how_to', group: 'team-a', owner: 'admin' });
            await create({ title: 'Disk full runbook', category: 'how_to', group: 'team-a' });
            await create({ title: 'VPN FAQ', category: 'faq', group: 'team-b' });
            const sub = await create({ title: 'Printer troubleshooting', category: 'troubleshooting', group: 'team-b' });
            const res = await api('POST', `/api/v1/articles/${sub.number}/transitions/submit`, { headers: { 'If-Match': '"1"' } });
            assert.equal(res.status, 200, res.text);

            const byState = await stats('by=state');
            assert.equal(byState.by, 'state');
            assert.equal(byState.total, 4);
            assert.equal(byState.more, false);
            assert.deepEqual(asMap(byState), { draft: 3, in_review: 1 });
            assert.deepEqual(byState.counts[0], { value: 'draft', count: 3 }, 'most frequent first');
            for (const [state, n] of Object.entries(asMap(byState))) {
                const l = await api('GET', `/api/v1/articles?state=${state}`);
                assert.equal(l.json.items.length, n);
            }
            assert.deepEqual(asMap(await stats('by=category')), { how_to: 2, faq: 1, troubleshooting: 1 });
            assert.deepEqual(asMap(await stats('by=category&group=team-b')), { faq: 1, troubleshooting: 1 });
            assert.deepEqual(asMap(await stats('by=group&state=draft')), { 'team-a': 2, 'team-b': 1 });
            const none = await stats('by=state&group=nobody');
            assert.deepEqual(none, { by: 'state', total: 0, counts: [], more: false });
        });

        test('stats-2 search (Chinese too) narrows the counts; days bucket the trend', async () => {
            assert.deepEqual(asMap(await stats(`by=category&q=${encodeURIComponent('空间不足')}`)), { how_to: 1 });
            assert.deepEqual(asMap(await stats('by=state&q=disk')), { draft: 1 });
            const today = new Date().toISOString().slice(0, 10);
            const days = await stats('by=created_at:day');
            assert.equal(days.counts.length, 1);
            assert.equal(days.counts[0].count, 4);
            assert.ok([today, new Date(Date.now() - 86400e3).toISOString().slice(0, 10)].includes(days.counts[0].value), days.counts[0].value);
            assert.deepEqual(asMap(await stats('by=created_at:month')), { [days.counts[0].value.slice(0, 7)]: 4 });
        });

        test('stats-3 [empty] finds the unassigned (and the assigned) records', async () => {
            let l = await api('GET', '/api/v1/articles?owner[empty]=true');
            assert.equal(l.status, 200, l.text);
            assert.equal(l.json.items.length, 3);
            assert.ok(l.json.items.every((r) => !r.owner));
            l = await api('GET', '/api/v1/articles?owner[empty]=false');
            assert.deepEqual(l.json.items.map((r) => r.owner), ['admin']);
            assert.deepEqual(asMap(await stats('by=state&owner[empty]=true&group=team-b')), { draft: 1, in_review: 1 });
            l = await api('GET', '/api/v1/articles?owner[empty]=yes');
            assert.equal(l.status, 400, l.text);
            assert.deepEqual(fieldErrors(l), ['owner[empty]:bad_filter']);
            l = await api('GET', '/api/v1/incidents?level[empty]=true');
            assert.equal(l.status, 400, l.text);
            assert.deepEqual(fieldErrors(l), ['level[empty]:bad_filter']);
        });

        test('stats-4 bad requests are refused with the field named and change nothing', async () => {
            let res = await api('GET', '/api/v1/articles/stats');
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['by:required']);
            for (const by of ['body', 'nothing', 'title', 'created_at:year', 'state:day', '']) {
                res = await api('GET', `/api/v1/articles/stats?by=${encodeURIComponent(by)}`);
                assert.equal(res.status, 400, `${by}: ${res.text}`);
                assert.ok(fieldErrors(res).some((e) => e.startsWith('by:')), `${by}: ${res.text}`);
            }
            res = await api('GET', '/api/v1/articles/stats?by=state&colour=red');
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['colour:bad_filter']);
            res = await api('POST', '/api/v1/articles/stats?by=state', { body: {} });
            assert.equal(res.status, 405, res.text);
            res = await api('GET', '/api/v1/contacts/stats?by=state', as('eve'));
            assert.equal(res.status, 403, res.text);
            res = await api('GET', '/api/v1/widgets/stats?by=state');
            assert.equal(res.status, 404, res.text);
            assert.equal((await stats('by=state')).total, 4);
        });

        test('stats-5 counts respect the data scope (S5)', async () => {
            assert.equal((await api('POST', '/api/v1/groups', { body: { name: 'team-b' } })).status, 201);
            assert.equal((await api('POST', '/api/v1/groups/team-b/members', { body: { username: 'dora' } })).status, 200);
            const res = await api('PUT', '/api/v1/users/dora/access', { body: { data_scope: 'group' } });
            assert.equal(res.status, 200, res.text);
            const me = await api('GET', '/api/v1/session', as('dora'));
            assert.deepEqual(me.json.groups, ['team-b'], 'the home page learns the user\'s teams here');
            const s = await stats('by=category', as('dora'));
            assert.deepEqual(asMap(s), { faq: 1, troubleshooting: 1 });
            assert.equal(s.total, 2);
        });
    });
}
