// tests/api/views.test.mjs - saved list views on the server (issue 5): kept per user and type,
// checked by the list's own parser when saved, shared views offered to other readers, changed
// only by their owner, audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, fieldErrors, startServer } from './harness.mjs';

for (const backend of backends()) {
    describe(`views [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);
        const as = (user) => ({ token: srv.tokens[user] });
        const put = (type, name, body, opts = {}) =>
            api('PUT', `/api/v1/views/${type}/${encodeURIComponent(name)}`, { ...opts, body });

        before(async () => {
            srv = await startServer({ backend, users: [{ name: 'kim', roles: ['kb_author'] }, { name: 'lee', roles: ['kb_author'] }, { name: 'eve', roles: ['tester'] }] });
        });
        after(async () => {
            await srv?.stop();
        });

        test('views-1 save, list, replace and delete my view', async () => {
            let res = await put('articles', '我的草稿', { query: { state: 'draft', sort: '-updated_at', q: '证书' }, columns: ['number', 'title', 'category'] }, as('kim'));
            assert.equal(res.status, 201, res.text);
            assert.deepEqual(res.json, { type: 'articles', name: '我的草稿', query: { q: '证书', sort: '-updated_at', state: 'draft' }, columns: ['number', 'title', 'category'], shared: false });
            res = await api('GET', '/api/v1/views?type=articles', as('kim'));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.items.length, 1);
            const v = res.json.items[0];
            assert.equal(v.name, '我的草稿');
            assert.equal(v.owner, 'kim');
            assert.equal(v.mine, true);
            assert.deepEqual(v.query, { q: '证书', sort: '-updated_at', state: 'draft' });
            // The same name again replaces it (200), and the query follows.
            res = await put('articles', '我的草稿', { query: { state: 'in_review' } }, as('kim'));
            assert.equal(res.status, 200, res.text);
            res = await api('GET', '/api/v1/views', as('kim'));
            assert.deepEqual(res.json.items.map((i) => [i.name, i.query, i.columns]), [['我的草稿', { state: 'in_review' }, []]]);
            // Another user does not see a private view.
            assert.deepEqual((await api('GET', '/api/v1/views', as('lee'))).json.items, []);
            res = await api('DELETE', `/api/v1/views/articles/${encodeURIComponent('我的草稿')}`, as('kim'));
            assert.equal(res.status, 204, res.text);
            assert.deepEqual((await api('GET', '/api/v1/views', as('kim'))).json.items, []);
            res = await api('DELETE', `/api/v1/views/articles/${encodeURIComponent('我的草稿')}`, as('kim'));
            assert.equal(res.status, 404, res.text);
        });

        test('views-2 a shared view is offered to other readers; only its owner changes it', async () => {
            let res = await put('articles', 'Team FAQ', { query: { category: 'faq' }, shared: true }, as('kim'));
            assert.equal(res.status, 201, res.text);
            res = await api('GET', '/api/v1/views?type=articles', as('lee'));
            assert.deepEqual(res.json.items.map((i) => [i.name, i.owner, i.mine, i.shared]), [['Team FAQ', 'kim', false, true]]);
            // lee's save of the same name is lee's own view, kim's stays as it was.
            res = await put('articles', 'Team FAQ', { query: { category: 'how_to' } }, as('lee'));
            assert.equal(res.status, 201, res.text);
            res = await api('GET', '/api/v1/views?type=articles', as('kim'));
            assert.deepEqual(res.json.items.map((i) => [i.owner, i.query]), [['kim', { category: 'faq' }]]);
            res = await api('DELETE', '/api/v1/views/articles/Team%20FAQ', as('lee'));
            assert.equal(res.status, 204, res.text);
            res = await api('GET', '/api/v1/views?type=articles', as('lee'));
            assert.deepEqual(res.json.items.map((i) => i.owner), ['kim']);
            // A type the caller may not read: neither saved nor listed.
            res = await put('contacts', 'Mine', { query: {} }, as('eve'));
            assert.equal(res.status, 403, res.text);
        });

        test('views-3 a view the list would refuse is refused when saved, naming the field', async () => {
            let res = await put('articles', 'Bad', { query: { state: 'nonsense', colour: 'red', cursor: 'x', sort: 7 }, columns: ['title', 'nope'], shared: 'yes', extra: 1 }, as('kim'));
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res).sort(), ['columns[1]:unknown', 'extra:unknown', 'query.colour:bad_filter', 'query.cursor:bad_filter', 'query.sort:type_string', 'query.state:bad_filter', 'shared:type_bool']);
            res = await put('articles', 'Bad', { columns: 'title' }, as('kim'));
            assert.deepEqual(fieldErrors(res).sort(), ['columns:type_array', 'query:required']);
            res = await put('articles', 'x'.repeat(101), { query: {} }, as('kim'));
            assert.deepEqual(fieldErrors(res), ['name:too_long']);
            res = await put('articles', 'tab\there', { query: {} }, as('kim'));
            assert.deepEqual(fieldErrors(res), ['name:control']);
            res = await put('widgets', 'W', { query: {} }, as('kim'));
            assert.equal(res.status, 404, res.text);
            res = await api('GET', '/api/v1/views?type=widgets', as('kim'));
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['type:unknown_type']);
            res = await api('POST', '/api/v1/views', { ...as('kim'), body: {} });
            assert.equal(res.status, 405, res.text);
            assert.deepEqual((await api('GET', '/api/v1/views?type=articles', as('kim'))).json.items.map((i) => i.name), ['Team FAQ'], 'nothing was saved');
        });

        test('views-4 at most 50 views per type; saves and removals are audited', async () => {
            for (let i = 0; i < 49; i++)
                assert.equal((await put('articles', `v${i}`, { query: { state: 'draft' } }, as('kim'))).status, 201);
            let res = await put('articles', 'one-too-many', { query: {} }, as('kim'));
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['name:views_full']);
            assert.equal((await put('articles', 'v3', { query: { state: 'published' } }, as('kim'))).status, 200, 'replacing is still allowed');
            res = await api('GET', '/api/v1/audit?action=view.create&limit=200');
            assert.equal(res.status, 200, res.text);
            assert.ok(res.json.items.filter((e) => e.actor === 'kim').length >= 50, res.text.slice(0, 300));
            res = await api('GET', '/api/v1/audit?action=view.delete');
            assert.equal(res.json.items.length, 2);
        });
    });
}
