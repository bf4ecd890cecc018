// tests/api/records.test.mjs - the record engine through the API, on the knowledge base:
// create/read/update with optimistic concurrency, validation that writes nothing, transitions
// with roles, guards and history, comments and work notes, links from both ends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, fieldErrors, startServer } from './harness.mjs';

const LONG_BODY = 'Restart the service, then check the logs for errors.';

for (const backend of backends()) {
    describe(`records [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);

        before(async () => {
            srv = await startServer({
                backend,
                users: [
                    { name: 'author', roles: ['kb_author'] },
                    { name: 'editor', roles: ['kb_editor'] },
                    { name: 'reader', roles: [] },
                ],
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function create(fields, token) {
            const res = await api('POST', '/api/v1/articles', { body: fields, ...(token ? { token } : {}) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function get(number) {
            const res = await api('GET', `/api/v1/articles/${number}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function count() {
            const res = await api('GET', '/api/v1/articles?limit=200');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.next_cursor, null, 'the test store should fit one page');
            return res.json.items.length;
        }
        async function transition(number, name, { body, version, token } = {}) {
            const headers = version ? { 'If-Match': `"${version}"` } : {};
            return api('POST', `/api/v1/articles/${number}/transitions/${name}`, {
                body,
                headers,
                ...(token ? { token } : {}),
            });
        }
        async function history(number) {
            const res = await api('GET', `/api/v1/articles/${number}/history`);
            assert.equal(res.status, 200, res.text);
            return res.json.items;
        }
        function assertProblem(res, status) {
            assert.equal(res.status, status, res.text);
            assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
            assert.equal(res.json.status, status);
            assert.equal(typeof res.json.title, 'string');
        }

        // ---- 1. create, read, update ------------------------------------------------------

        test('records-1.1 create answers 201 with Location, ETag and the first number', async () => {
            const res = await api('POST', '/api/v1/articles', {
                body: { title: 'How to reset a password', body: LONG_BODY, tags: ['account'] },
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.number, 'KB-000001');
            assert.equal(res.headers.get('location'), '/api/v1/articles/KB-000001');
            assert.equal(res.headers.get('etag'), '"1"');
            assert.equal(res.json.version, 1);
            assert.equal(res.json.state, 'draft');
            assert.equal(res.json.title, 'How to reset a password');
            assert.equal(res.json.category, 'how_to', 'declared default applied');
            assert.equal(res.json.audience, 'internal', 'declared default applied');
            assert.deepEqual(res.json.tags, ['account']);
            assert.equal(res.json.created_by, 'admin');
            assert.match(res.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        });

        test('records-1.2 the next create gets the next number', async () => {
            const rec = await create({ title: 'Second article' });
            assert.equal(rec.number, 'KB-000002');
        });

        test('records-1.3 read by number answers the record with its ETag', async () => {
            const res = await api('GET', '/api/v1/articles/KB-000001');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.headers.get('etag'), '"1"');
            assert.equal(res.json.number, 'KB-000001');
            assert.equal(res.json.body, LONG_BODY);
        });

        test('records-1.4 reading a missing number answers 404 problem+json', async () => {
            assertProblem(await api('GET', '/api/v1/articles/KB-999999'), 404);
        });

        test('records-1.5 PATCH with If-Match updates and bumps the version', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-000001', {
                body: { title: 'How to reset a user password', tags: ['account', 'password'] },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.version, 2);
            assert.equal(res.headers.get('etag'), '"2"');
            assert.equal(res.json.title, 'How to reset a user password');
            assert.deepEqual(res.json.tags, ['account', 'password']);
            assert.equal(res.json.updated_by, 'admin');
            const rec = await get('KB-000001');
            assert.equal(rec.version, 2);
            assert.equal(rec.title, 'How to reset a user password');
        });

        test('records-1.6 stale If-Match is refused with 412 and the record is unchanged', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-000001', {
                body: { title: 'A lost update' },
                headers: { 'If-Match': '"1"' },
            });
            assertProblem(res, 412);
            const rec = await get('KB-000001');
            assert.equal(rec.version, 2);
            assert.equal(rec.title, 'How to reset a user password');
        });

        test('records-1.7 PATCH without If-Match is refused with 428', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-000001', { body: { title: 'No precondition' } });
            assertProblem(res, 428);
            const rec = await get('KB-000001');
            assert.equal(rec.version, 2);
            assert.equal(rec.title, 'How to reset a user password');
        });

        test('records-1.8 a malformed If-Match is refused with 400', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-000001', {
                body: { title: 'Bad precondition' },
                headers: { 'If-Match': 'yesterday' },
            });
            assertProblem(res, 400);
            assert.equal((await get('KB-000001')).version, 2);
        });

        test('records-1.9 PATCH with an invalid field answers 400 and changes nothing', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-000001', {
                body: { title: 'ok title', category: 'gossip' },
                headers: { 'If-Match': '"2"' },
            });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['category:enum']);
            const rec = await get('KB-000001');
            assert.equal(rec.version, 2);
            assert.equal(rec.title, 'How to reset a user password');
        });

        test('records-1.10 PATCH of a missing number answers 404', async () => {
            const res = await api('PATCH', '/api/v1/articles/KB-999999', {
                body: { title: 'Nobody' },
                headers: { 'If-Match': '"1"' },
            });
            assertProblem(res, 404);
        });

        test('records-1.11 of concurrent PATCHes with the same If-Match exactly one wins', async () => {
            const rec = await create({ title: 'Race target' });
            const results = await Promise.all(
                Array.from({ length: 10 }, (_, i) =>
                    api('PATCH', `/api/v1/articles/${rec.number}`, {
                        body: { title: `Race winner ${i}` },
                        headers: { 'If-Match': '"1"' },
                    }),
                ),
            );
            const statuses = results.map((r) => r.status).sort();
            assert.deepEqual(statuses, [200, ...Array(9).fill(412)], results.map((r) => r.text).join('\n'));
            const winner = results.find((r) => r.status === 200).json;
            const now = await get(rec.number);
            assert.equal(now.version, 2);
            assert.equal(now.title, winner.title);
            const h = (await history(rec.number)).filter((e) => e.action === 'update');
            assert.equal(h.length, 1, 'one history entry for the one update');
        });

        test('records-1.12 PATCH clears an optional field with null and refuses null for a required one', async () => {
            const rec = await create({ title: 'Clearable', summary: 'to be cleared' });
            let res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { title: null },
                headers: { 'If-Match': '"1"' },
            });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['title:required']);
            res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { summary: null },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.summary, null);
            const last = (await history(rec.number)).at(-1);
            assert.deepEqual([last.field, last.old, last.new], ['summary', 'to be cleared', null]);
        });

        test('records-1.13 PATCH with owner and group stores them in the shared columns', async () => {
            const rec = await create({ title: 'Owned article', owner: 'alice', group: 'service-desk' });
            assert.equal(rec.owner, 'alice');
            assert.equal(rec.group, 'service-desk');
            const res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { owner: 'bob' },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal((await get(rec.number)).owner, 'bob');
            assertProblem(
                await api('PATCH', `/api/v1/articles/${rec.number}`, { body: { owner: 'not a user!' }, headers: { 'If-Match': '"2"' } }),
                400,
            );
        });

        test('records-1.14 lengths count characters, not bytes', async () => {
            let res = await api('POST', '/api/v1/articles', { body: { title: '数'.repeat(200) } });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.title, '数'.repeat(200));
            assert.equal((await get(res.json.number)).title, '数'.repeat(200));
            res = await api('POST', '/api/v1/articles', { body: { title: '数'.repeat(201) } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['title:too_long']);
            res = await api('POST', '/api/v1/articles', { body: { title: '😀😀😀' } });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.title, '😀😀😀');
        });

        // ---- 2. validation writes nothing -------------------------------------------------

        const invalid = [
            ['2.1.1 unknown field', { title: 'Valid title', colour: 'blue' }, ['colour:unknown']],
            ['2.1.2 wrong type of a string', { title: 42 }, ['title:type_string']],
            ['2.1.3 wrong type of tags', { title: 'Valid title', tags: 'one,two' }, ['tags:type_tags']],
            ['2.1.4 missing required title', { body: 'no title here' }, ['title:required']],
            ['2.1.5 empty title', { title: '' }, ['title:required', 'title:too_short']],
            ['2.1.6 too long title', { title: 'x'.repeat(201) }, ['title:too_long']],
            ['2.1.7 too short title', { title: 'ab' }, ['title:too_short']],
            ['2.1.8 bad enum', { title: 'Valid title', category: 'gossip' }, ['category:enum']],
            ['2.1.9 read-only engine field', { title: 'Valid title', state: 'published' }, ['state:readonly']],
            ['2.1.10 bad datetime', { title: 'Valid title', review_due: 'next week' }, ['review_due:datetime']],
            ['2.1.12 control character in a title', { title: 'Bell \u0007 title' }, ['title:control']],
            ['2.1.13 too many tags', { title: 'Valid title', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['tags:too_many']],
            ['2.1.14 too long tag', { title: 'Valid title', tags: ['x'.repeat(51)] }, ['tags:type_tags']],
            ['2.1.15 non-string tag', { title: 'Valid title', tags: [1] }, ['tags:type_tags']],
            ['2.1.16 bad owner', { title: 'Valid title', owner: 'Robert; DROP TABLE' }, ['owner:username']],
            ['2.1.17 too long summary', { title: 'Valid title', summary: 's'.repeat(501) }, ['summary:too_long']],
            ['2.1.18 engine-owned number', { title: 'Valid title', number: 'KB-000001' }, ['number:readonly']],
            ['2.1.19 engine-owned version', { title: 'Valid title', version: 7 }, ['version:readonly']],
            [
                '2.1.11 several errors at once',
                { title: 7, category: 'gossip', colour: 'blue' },
                ['category:enum', 'colour:unknown', 'title:type_string'],
            ],
        ];
        for (const [name, body, expected] of invalid) {
            test(`records-${name} is refused with 400 and per-field errors, nothing written`, async () => {
                const before = await count();
                const res = await api('POST', '/api/v1/articles', { body });
                assertProblem(res, 400);
                assert.deepEqual(fieldErrors(res).sort(), [...expected].sort());
                for (const e of res.json.errors) {
                    assert.equal(typeof e.field, 'string');
                    assert.equal(typeof e.code, 'string');
                    assert.ok(e.message && typeof e.message === 'string', 'each error has a message');
                }
                assert.equal(await count(), before, 'nothing was written');
            });
        }

        test('records-2.2 a body that is not an object is refused with 400', async () => {
            const before = await count();
            assertProblem(await api('POST', '/api/v1/articles', { body: '["title"]', headers: { 'Content-Type': 'application/json' } }), 400);
            assertProblem(await api('POST', '/api/v1/articles', { body: '"title"', headers: { 'Content-Type': 'application/json' } }), 400);
            assert.equal(await count(), before);
        });

        test('records-2.3 Accept-Language: zh-CN gives Chinese messages', async () => {
            const res = await api('POST', '/api/v1/articles', {
                body: { body: 'no title', category: 'gossip' },
                headers: { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5' },
            });
            assertProblem(res, 400);
            const title = res.json.errors.find((e) => e.field === 'title');
            assert.ok(title, res.text);
            assert.equal(title.message, '为必填项');
            const cat = res.json.errors.find((e) => e.field === 'category');
            assert.match(cat.message, /[\u4e00-\u9fff]/);
            const en = await api('POST', '/api/v1/articles', { body: { body: 'no title' } });
            assert.equal(en.json.errors.find((e) => e.field === 'title').message, 'is required');
        });

        test('records-2.4 after refused creates the counter has not advanced', async () => {
            const list = await api('GET', '/api/v1/articles?limit=200');
            const ns = list.json.items.map((r) => Number(r.number.slice(3)));
            const max = Math.max(...ns);
            assert.equal(ns.length, max, 'every number up to the highest is a stored record');
            const rec = await create({ title: 'Third article' });
            assert.equal(rec.number, `KB-${String(max + 1).padStart(6, '0')}`);
        });

        // ---- 3. transitions ---------------------------------------------------------------

        test('records-3.1 submit without a body is refused with 400 (requires body)', async () => {
            const rec = await create({ title: 'Article without a body' });
            const res = await transition(rec.number, 'submit', { version: 1 });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['body:required']);
            const now = await get(rec.number);
            assert.equal(now.state, 'draft');
            assert.equal(now.version, 1);
        });

        test('records-3.2 submit, publish, retire and revise move through the states', async () => {
            const rec = await create({ title: 'VPN troubleshooting', body: LONG_BODY }, srv.tokens.author);
            assert.equal(rec.created_by, 'author');
            let res = await transition(rec.number, 'submit', { version: 1, token: srv.tokens.author });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'in_review');
            assert.equal(res.json.version, 2);
            assert.equal(res.headers.get('etag'), '"2"');
            assert.ok(res.json.state_changed_at >= rec.state_changed_at);
            const submittedAt = res.json.state_changed_at;

            res = await transition(rec.number, 'publish', { version: 2, token: srv.tokens.editor });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'published');
            assert.equal(res.json.version, 3);
            assert.equal(res.json.updated_by, 'editor');
            assert.ok(res.json.state_changed_at >= submittedAt);

            res = await transition(rec.number, 'retire', { version: 3, token: srv.tokens.editor });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['reason:reason_required']);

            res = await transition(rec.number, 'retire', {
                version: 3,
                token: srv.tokens.editor,
                body: { reason: 'Superseded by the new VPN' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'retired');

            res = await transition(rec.number, 'revise', { version: 4, token: srv.tokens.author });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'draft');
            assert.equal(res.json.version, 5);

            const h = (await history(rec.number)).filter((e) => e.field === 'state');
            assert.deepEqual(
                h.map((e) => [e.old, e.new, e.actor]),
                [
                    ['draft', 'in_review', 'author'],
                    ['in_review', 'published', 'editor'],
                    ['published', 'retired', 'editor'],
                    ['retired', 'draft', 'author'],
                ],
            );
            assert.equal(h[2].reason, 'Superseded by the new VPN');
            for (const e of h) assert.equal(e.action, 'transition');
        });

        test('records-3.3 reject needs a reason and sends the article back to draft', async () => {
            const rec = await create({ title: 'Printer setup', body: LONG_BODY });
            let res = await transition(rec.number, 'submit', { version: 1 });
            assert.equal(res.status, 200, res.text);
            res = await transition(rec.number, 'reject', { version: 2, token: srv.tokens.editor, body: {} });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['reason:reason_required']);
            res = await transition(rec.number, 'reject', { version: 2, token: srv.tokens.editor, body: { reason: '' } });
            assertProblem(res, 400);
            assert.equal((await get(rec.number)).state, 'in_review');

            res = await transition(rec.number, 'reject', {
                version: 2,
                token: srv.tokens.editor,
                body: { reason: 'Add screenshots' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'draft');
            const last = (await history(rec.number)).at(-1);
            assert.deepEqual([last.field, last.old, last.new, last.actor, last.reason], [
                'state',
                'in_review',
                'draft',
                'editor',
                'Add screenshots',
            ]);
        });

        test('records-3.4 a user without kb_editor cannot publish (403), nothing written', async () => {
            const rec = await create({ title: 'Email quota', body: LONG_BODY }, srv.tokens.author);
            let res = await transition(rec.number, 'submit', { version: 1, token: srv.tokens.author });
            assert.equal(res.status, 200, res.text);
            res = await transition(rec.number, 'publish', { version: 2, token: srv.tokens.author });
            assertProblem(res, 403);
            res = await transition(rec.number, 'publish', { version: 2, token: srv.tokens.reader });
            assertProblem(res, 403);
            const now = await get(rec.number);
            assert.equal(now.state, 'in_review');
            assert.equal(now.version, 2);
        });

        test('records-3.5 the guard refuses to publish a body under 20 characters (422)', async () => {
            const rec = await create({ title: 'Stub article', body: 'Too short.' });
            let res = await transition(rec.number, 'submit', { version: 1 });
            assert.equal(res.status, 200, res.text);
            res = await transition(rec.number, 'publish', { version: 2, token: srv.tokens.editor });
            assertProblem(res, 422);
            assert.match(res.json.detail, /20 characters/);
            const now = await get(rec.number);
            assert.equal(now.state, 'in_review');
            assert.equal(now.version, 2);
            // The transition's own fields count: a longer body makes it publishable.
            res = await transition(rec.number, 'publish', {
                version: 2,
                token: srv.tokens.editor,
                body: { fields: { body: LONG_BODY } },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'published');
            assert.equal(res.json.body, LONG_BODY);
        });

        test('records-3.6 a transition from the wrong state answers 422, an unknown one 404', async () => {
            const rec = await create({ title: 'Wrong state', body: LONG_BODY });
            assertProblem(await transition(rec.number, 'publish', { version: 1, token: srv.tokens.editor }), 422);
            assertProblem(await transition(rec.number, 'retire', { body: { reason: 'x' } }), 422);
            assertProblem(await transition(rec.number, 'teleport', { version: 1 }), 404);
            assertProblem(await transition('KB-999999', 'submit', { version: 1 }), 404);
            const now = await get(rec.number);
            assert.equal(now.state, 'draft');
            assert.equal(now.version, 1);
        });

        test('records-3.7 a transition with a stale If-Match answers 412', async () => {
            const rec = await create({ title: 'Concurrent edit', body: LONG_BODY });
            const upd = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { summary: 'changed' },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(upd.status, 200, upd.text);
            assertProblem(await transition(rec.number, 'submit', { version: 1 }), 412);
            assert.equal((await get(rec.number)).state, 'draft');
        });

        test('records-3.9 a transition whose fields are invalid is refused with 400', async () => {
            const rec = await create({ title: 'Bad transition fields' });
            let res = await transition(rec.number, 'submit', { version: 1, body: { fields: { body: 5 } } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['body:type_string']);
            res = await transition(rec.number, 'submit', { version: 1, body: { reason: 42 } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['reason:type_string']);
            res = await api('POST', `/api/v1/articles/${rec.number}/transitions/submit`, {
                body: '[]',
                headers: { 'Content-Type': 'application/json', 'If-Match': '"1"' },
            });
            assertProblem(res, 400);
            assert.equal((await get(rec.number)).version, 1);
            // The transition's own fields are applied and recorded.
            res = await transition(rec.number, 'submit', { version: 1, body: { fields: { body: LONG_BODY } } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.body, LONG_BODY);
            const tr = (await history(rec.number)).filter((e) => e.action === 'transition');
            assert.deepEqual(tr.map((e) => e.field).sort(), ['body', 'state']);
        });

        test('records-3.8 a transition body with unknown keys is refused with 400', async () => {
            const rec = await create({ title: 'Odd transition input', body: LONG_BODY });
            const res = await transition(rec.number, 'submit', { version: 1, body: { because: 'yes' } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['because:unknown']);
            assert.equal((await get(rec.number)).version, 1);
        });

        // ---- 4. roles ---------------------------------------------------------------------

        test('records-4.1 a reader cannot create (403) and nothing is written', async () => {
            const before = await count();
            const res = await api('POST', '/api/v1/articles', {
                body: { title: 'Reader article' },
                token: srv.tokens.reader,
            });
            assertProblem(res, 403);
            assert.equal(await count(), before);
        });

        test('records-4.2 a reader can read and list but not update', async () => {
            let res = await api('GET', '/api/v1/articles/KB-000001', { token: srv.tokens.reader });
            assert.equal(res.status, 200, res.text);
            res = await api('GET', '/api/v1/articles', { token: srv.tokens.reader });
            assert.equal(res.status, 200, res.text);
            res = await api('PATCH', '/api/v1/articles/KB-000001', {
                body: { title: 'Reader edit' },
                headers: { 'If-Match': '"2"' },
                token: srv.tokens.reader,
            });
            assertProblem(res, 403);
            assert.equal((await get('KB-000001')).version, 2);
        });

        test('records-4.3 the numbering continues after refused and forbidden writes', async () => {
            const list = await api('GET', '/api/v1/articles?limit=200');
            const numbers = list.json.items.map((r) => Number(r.number.slice(3))).sort((a, b) => a - b);
            assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'no gaps in the numbers');
            const rec = await create({ title: 'After refusals' });
            assert.equal(Number(rec.number.slice(3)), numbers.length + 1);
        });

        // ---- 5. comments and work notes ---------------------------------------------------

        test('records-5.1 comments and work notes are added and listed in order', async () => {
            let res = await api('POST', '/api/v1/articles/KB-000002/comments', { body: { body: 'Looks good to me.' } });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.kind, 'comment');
            assert.equal(res.json.author, 'admin');
            res = await api('POST', '/api/v1/articles/KB-000002/comments', {
                body: { body: 'Checked with the vendor.', kind: 'work_note' },
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.kind, 'work_note');
            res = await api('POST', '/api/v1/articles/KB-000002/comments', {
                body: { body: 'A reader may comment.' },
                token: srv.tokens.reader,
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.author, 'reader');

            res = await api('GET', '/api/v1/articles/KB-000002/comments');
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(
                res.json.items.map((c) => [c.kind, c.author, c.body]),
                [
                    ['comment', 'admin', 'Looks good to me.'],
                    ['work_note', 'admin', 'Checked with the vendor.'],
                    ['comment', 'reader', 'A reader may comment.'],
                ],
            );
        });

        test('records-5.2 bad comments are refused and nothing is written', async () => {
            const cases = [
                [{}, ['body:required']],
                [{ body: '' }, ['body:required']],
                [{ body: 'x', kind: 'shout' }, ['kind:enum']],
                [{ body: 'x', colour: 'red' }, ['colour:unknown']],
            ];
            for (const [body, expected] of cases) {
                const res = await api('POST', '/api/v1/articles/KB-000002/comments', { body });
                assertProblem(res, 400);
                assert.deepEqual(fieldErrors(res), expected);
            }
            assertProblem(await api('POST', '/api/v1/articles/KB-999999/comments', { body: { body: 'x' } }), 404);
            const res = await api('GET', '/api/v1/articles/KB-000002/comments');
            assert.equal(res.json.items.length, 3);
        });

        // ---- 6. links -----------------------------------------------------------------------

        let linkId;
        test('records-6.1 a link is listed from both ends with its direction', async () => {
            const res = await api('POST', '/api/v1/articles/KB-000001/links', {
                body: { type: 'references', target: 'KB-000002' },
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.source, 'KB-000001');
            assert.equal(res.json.target, 'KB-000002');
            linkId = res.json.id;

            const out = await api('GET', '/api/v1/articles/KB-000001/links');
            assert.equal(out.status, 200, out.text);
            assert.equal(out.json.items.length, 1);
            const o = out.json.items[0];
            assert.equal(o.id, linkId);
            assert.equal(o.direction, 'out');
            assert.equal(o.type, 'references');
            assert.equal(o.label, 'references');
            assert.equal(o.record.number, 'KB-000002');
            assert.equal(o.record.title, 'Second article');

            const inc = await api('GET', '/api/v1/articles/KB-000002/links');
            assert.equal(inc.json.items.length, 1);
            const i = inc.json.items[0];
            assert.equal(i.id, linkId);
            assert.equal(i.direction, 'in');
            assert.equal(i.label, 'referenced_by');
            assert.equal(i.record.number, 'KB-000001');
        });

        test('records-6.2 a duplicate link is refused with 409', async () => {
            const res = await api('POST', '/api/v1/articles/KB-000001/links', {
                body: { type: 'references', target: 'KB-000002' },
            });
            assertProblem(res, 409);
            const out = await api('GET', '/api/v1/articles/KB-000001/links');
            assert.equal(out.json.items.length, 1);
        });

        test('records-6.3 a link to a missing or invalid target is refused with 400', async () => {
            let res = await api('POST', '/api/v1/articles/KB-000001/links', {
                body: { type: 'relates_to', target: 'KB-999999' },
            });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['target:bad_filter']);
            res = await api('POST', '/api/v1/articles/KB-000001/links', { body: { type: 'loves', target: 'KB-000002' } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['type:enum']);
            res = await api('POST', '/api/v1/articles/KB-000001/links', { body: { type: 'relates_to', target: "x' OR 1=1" } });
            assertProblem(res, 400);
            res = await api('POST', '/api/v1/articles/KB-000001/links', { body: { type: 'relates_to', target: 'KB-000001' } });
            assertProblem(res, 400);
            res = await api('POST', '/api/v1/articles/KB-000001/links', {
                body: { type: 'relates_to', target: 'KB-000002' },
                token: srv.tokens.reader,
            });
            assertProblem(res, 403);
            const out = await api('GET', '/api/v1/articles/KB-000001/links');
            assert.equal(out.json.items.length, 1);
        });

        test('records-6.5 concurrent identical links: one 201, the rest 409', async () => {
            const a = await create({ title: 'Link race source' });
            const b = await create({ title: 'Link race target' });
            const results = await Promise.all(
                Array.from({ length: 6 }, () =>
                    api('POST', `/api/v1/articles/${a.number}/links`, { body: { type: 'relates_to', target: b.number } }),
                ),
            );
            assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
            const l = await api('GET', `/api/v1/articles/${b.number}/links`);
            assert.equal(l.json.items.length, 1);
            assert.equal(l.json.items[0].label, 'relates_to');
            assert.equal(l.json.items[0].direction, 'in');
        });

        test('records-6.4 unlink removes the link from both ends', async () => {
            let res = await api('DELETE', `/api/v1/articles/KB-000003/links/${linkId}`);
            assertProblem(res, 404, 'a link is removed only through one of its ends');
            res = await api('DELETE', `/api/v1/articles/KB-000002/links/${linkId}`);
            assert.equal(res.status, 204, res.text);
            for (const n of ['KB-000001', 'KB-000002']) {
                const l = await api('GET', `/api/v1/articles/${n}/links`);
                assert.deepEqual(l.json.items, []);
            }
            res = await api('DELETE', `/api/v1/articles/KB-000001/links/${linkId}`);
            assertProblem(res, 404);
            res = await api('DELETE', '/api/v1/articles/KB-000001/links/abc');
            assertProblem(res, 404);
        });

        // ---- 7. history ---------------------------------------------------------------------

        test('records-7.1 history records create, update (field, old, new, actor) and transitions', async () => {
            const rec = await create({ title: 'History article', body: LONG_BODY });
            let res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { title: 'History article, revised', category: 'faq' },
                headers: { 'If-Match': '"1"' },
                token: srv.tokens.author,
            });
            assert.equal(res.status, 200, res.text);
            res = await transition(rec.number, 'submit', { version: 2 });
            assert.equal(res.status, 200, res.text);

            const h = await history(rec.number);
            assert.equal(h[0].action, 'create');
            assert.equal(h[0].actor, 'admin');
            assert.equal(h[0].version, 1);
            const upd = h.filter((e) => e.action === 'update');
            const byField = Object.fromEntries(upd.map((e) => [e.field, e]));
            assert.deepEqual(Object.keys(byField).sort(), ['category', 'title']);
            assert.equal(byField.title.old, 'History article');
            assert.equal(byField.title.new, 'History article, revised');
            assert.equal(byField.title.actor, 'author');
            assert.equal(byField.title.version, 2);
            assert.equal(byField.category.old, 'how_to');
            assert.equal(byField.category.new, 'faq');
            const tr = h.filter((e) => e.action === 'transition');
            assert.deepEqual(tr.map((e) => [e.field, e.old, e.new, e.version]), [['state', 'draft', 'in_review', 3]]);
            for (const e of h) assert.match(e.at, /^\d{4}-\d\d-\d\dT/);
        });

        test('records-7.2 an update that changes nothing writes no history and keeps the version', async () => {
            const rec = await create({ title: 'Unchanged article' });
            const res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { title: 'Unchanged article' },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.version, 1);
            assert.equal((await history(rec.number)).length, 1);
        });

        test('records-7.3 refused writes leave no history', async () => {
            const h = await history('KB-000001');
            assert.deepEqual(h.map((e) => e.action), ['create', 'update', 'update']);
            assert.deepEqual(h.slice(1).map((e) => e.field).sort(), ['tags', 'title']);
            assert.ok(h.slice(1).every((e) => e.version === 2));
        });
    });
}
