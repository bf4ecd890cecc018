// tests/api/query.test.mjs - list queries: whitelisted filters, bad parameters named in the
// answer, sort, cursor pagination, and full-text search (Chinese substrings too).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, fieldErrors, pool, sleep, startServer } from './harness.mjs';

const BODY = 'A body long enough to be published by an editor.';

for (const backend of backends()) {
    describe(`query [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);
        const groupA = []; // records created first (tag "grp-a")
        const groupB = []; // created at least 30 ms later (tag "grp-b")
        const owned = []; // created by query-1.6

        before(async () => {
            srv = await startServer({ backend });
        });
        after(async () => {
            await srv?.stop();
        });

        async function create(fields) {
            const res = await api('POST', '/api/v1/articles', { body: fields });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function list(qs) {
            const res = await api('GET', `/api/v1/articles?${qs}`);
            assert.equal(res.status, 200, `${qs}: ${res.text}`);
            return res.json;
        }
        async function numbers(qs) {
            const l = await list(qs);
            assert.equal(l.next_cursor, null, `${qs}: one page expected`);
            return l.items.map((r) => r.number).sort();
        }
        async function submit(number, version) {
            const res = await api('POST', `/api/v1/articles/${number}/transitions/submit`, {
                headers: { 'If-Match': `"${version}"` },
            });
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        const nums = (recs) => recs.map((r) => r.number).sort();

        // ---- 1. filters -------------------------------------------------------------------

        test('query-1.0 set up records in two groups', async () => {
            const cats = ['how_to', 'faq', 'troubleshooting'];
            for (let i = 0; i < 6; i++)
                groupA.push(await create({ title: `Alpha ${i}`, body: BODY, category: cats[i % 3], tags: ['grp-a', i % 2 ? 'odd' : 'even'] }));
            await sleep(30);
            for (let i = 0; i < 4; i++)
                groupB.push(await create({ title: `Beta ${i}`, body: BODY, category: cats[i % 3], tags: ['grp-b'] }));
            // Two of group A go to review.
            groupA[0] = await submit(groupA[0].number, 1);
            groupA[1] = await submit(groupA[1].number, 1);
        });

        test('query-1.1 state eq, ne and in', async () => {
            assert.deepEqual(await numbers('state=in_review'), nums(groupA.slice(0, 2)));
            assert.deepEqual(await numbers('state[eq]=in_review'), nums(groupA.slice(0, 2)));
            assert.deepEqual(await numbers('state[ne]=draft'), nums(groupA.slice(0, 2)));
            assert.deepEqual(await numbers('state[ne]=in_review&tags=grp-a'), nums(groupA.slice(2)));
            assert.deepEqual(await numbers('state[in]=draft,in_review&tags=grp-b'), nums(groupB));
            assert.deepEqual(await numbers('state[in]=published,retired'), []);
        });

        test('query-1.2 category eq, ne and in on a declared field', async () => {
            const all = [...groupA, ...groupB];
            assert.deepEqual(await numbers('category=faq'), nums(all.filter((r) => r.category === 'faq')));
            assert.deepEqual(await numbers('category[ne]=faq'), nums(all.filter((r) => r.category !== 'faq')));
            assert.deepEqual(
                await numbers('category[in]=faq,troubleshooting&tags=grp-b'),
                nums(groupB.filter((r) => r.category !== 'how_to')),
            );
            assert.deepEqual(await numbers('category=policy'), []);
        });

        test('query-1.3 created_at gt and lt', async () => {
            const lastA = groupA.reduce((m, r) => (r.created_at > m ? r.created_at : m), '');
            const firstB = groupB.reduce((m, r) => (r.created_at < m ? r.created_at : m), '9999');
            assert.ok(lastA < firstB, 'the groups were created apart');
            assert.deepEqual(await numbers(`created_at[gt]=${encodeURIComponent(lastA)}`), nums(groupB));
            assert.deepEqual(await numbers(`created_at[lt]=${encodeURIComponent(firstB)}`), nums(groupA));
            assert.deepEqual(await numbers(`created_at[gte]=${encodeURIComponent(firstB)}`), nums(groupB));
            assert.deepEqual(
                await numbers(`created_at[gt]=${encodeURIComponent(lastA)}&created_at[lt]=${encodeURIComponent(firstB)}`),
                [],
            );
        });

        test('query-1.4 tags contains, combined with other filters', async () => {
            assert.deepEqual(await numbers('tags=grp-a'), nums(groupA));
            assert.deepEqual(await numbers('tags=odd'), nums(groupA.filter((_, i) => i % 2)));
            assert.deepEqual(await numbers('tags=odd&state=draft'), nums(groupA.filter((_, i) => i % 2 && i > 1)));
            assert.deepEqual(await numbers('tags=gr'), [], 'contains a tag, not a substring');
            assert.deepEqual(await numbers('tags=nothing'), []);
        });

        test('query-1.5 number, title and created_by filters on shared columns', async () => {
            assert.deepEqual(await numbers(`number=${groupB[0].number}`), [groupB[0].number]);
            assert.deepEqual(await numbers('title=Beta%202'), [groupB[2].number]);
            assert.deepEqual(await numbers('created_by=admin&tags=grp-b'), nums(groupB));
        });

        test('query-1.6 owner, group and review_due filters', async () => {
            const a = await create({ title: 'Owned by alice', owner: 'alice', group: 'network', review_due: '2027-01-15T00:00:00Z', tags: ['owned'] });
            const b = await create({ title: 'Owned by bob', owner: 'bob', group: 'desk', review_due: '2027-06-01T00:00:00Z', tags: ['owned'] });
            owned.push(a, b);
            assert.deepEqual(await numbers('owner=alice'), [a.number]);
            assert.deepEqual(await numbers('owner[in]=alice,bob'), nums([a, b]));
            assert.deepEqual(await numbers('group=desk'), [b.number]);
            assert.deepEqual(await numbers('review_due[lt]=2027-03-01T00:00:00Z'), [a.number]);
            assert.deepEqual(await numbers('review_due[gte]=2027-03-01T00:00:00Z'), [b.number]);
            assert.deepEqual(await numbers('audience=internal&tags=owned'), nums([a, b]));
            assert.deepEqual(await numbers('audience=public'), []);
        });

        // ---- 2. bad parameters ------------------------------------------------------------

        const bad = [
            ['2.1 unknown filter field', 'colour=blue', 'colour'],
            ['2.2 bad operator', 'state[like]=draft', 'state[like]'],
            ['2.3 unclosed operator', 'state[eq=draft', 'state[eq'],
            ['2.4 limit 0', 'limit=0', 'limit'],
            ['2.5 limit 201', 'limit=201', 'limit'],
            ['2.6 limit not a number', 'limit=ten', 'limit'],
            ['2.7 garbage cursor', 'cursor=garbage!!', 'cursor'],
            ['2.8 well-formed base64 that is no cursor', `cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'cursor'],
            ['2.9 non-filterable field', 'body=secret', 'body'],
            ['2.10 non-filterable field with an operator', 'summary[ne]=x', 'summary[ne]'],
            ['2.11 bad enum value', 'category=gossip', 'category'],
            ['2.12 range on tags', 'tags[gt]=a', 'tags[gt]'],
            ['2.13 unknown sort key', 'sort=body', 'sort'],
            ['2.14 empty search', 'q=', 'q'],
            ['2.15 types outside cross-type search', 'types=articles', 'types'],
            ['2.18 too many values in [in]', `state[in]=${Array(51).fill('draft').join(',')}`, 'state[in]'],
            ['2.19 a huge limit', 'limit=99999999999999999999999', 'limit'],
            ['2.20 an over-long filter value', `title=${'x'.repeat(501)}`, 'title'],
            ['2.21 engine field that is not a filter', 'version=1', 'version'],
        ];
        for (const [name, qs, param] of bad) {
            test(`query-${name} answers 400 naming the parameter`, async () => {
                const res = await api('GET', `/api/v1/articles?${qs}`);
                assert.equal(res.status, 400, res.text);
                assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
                const fields = res.json.errors.map((e) => e.field);
                assert.ok(fields.includes(param), `expected ${param} in ${JSON.stringify(res.json.errors)}`);
            });
        }

        test('query-2.16 every bad parameter is reported at once', async () => {
            const res = await api('GET', '/api/v1/articles?colour=blue&limit=0&state[like]=x');
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(res.json.errors.map((e) => e.field).sort(), ['colour', 'limit', 'state[like]']);
        });

        test('query-2.17 filter values are data, never SQL', async () => {
            assert.deepEqual(await numbers(`title=${encodeURIComponent("x' OR '1'='1")}`), []);
            assert.deepEqual(await numbers(`created_by=${encodeURIComponent('admin" OR 1=1 --')}`), []);
            assert.deepEqual(await numbers(`tags=${encodeURIComponent("grp-a') OR 1=1 --")}`), []);
        });

        // ---- 3. sort --------------------------------------------------------------------------

        test('query-3.1 sort by title ascending and descending', async () => {
            const all = [...groupA, ...groupB, ...owned];
            const asc = [...all].sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0)).map((r) => r.title);
            const la = await list('sort=title&limit=200');
            assert.deepEqual(la.items.map((r) => r.title), asc);
            const ld = await list('sort=-title&limit=200');
            assert.deepEqual(ld.items.map((r) => r.title), [...asc].reverse());
            const lp = await list('sort=%2Btitle&limit=200');
            assert.deepEqual(lp.items.map((r) => r.title), asc);
        });

        test('query-3.2 the default order is newest number first', async () => {
            const l = await list('limit=200');
            const ns = l.items.map((r) => Number(r.number.slice(3)));
            assert.deepEqual(ns, [...ns].sort((a, b) => b - a));
            const asc = await list('sort=number&limit=200');
            assert.deepEqual(asc.items.map((r) => Number(r.number.slice(3))), [...ns].reverse());
        });

        // ---- 4. cursor pagination -------------------------------------------------------

        const PAGED = 120;
        let paged = [];
        test('query-4.0 create 120 records for paging', async () => {
            paged = await pool(Array.from({ length: PAGED }, (_, i) => i), 8, (i) =>
                create({ title: `Page item ${String(i % 7)}`, tags: ['paged'] }),
            );
            assert.equal(new Set(paged.map((r) => r.number)).size, PAGED);
        });

        async function walk(qs) {
            const seen = [];
            let cursor = null;
            let pages = 0;
            do {
                const l = await list(`${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
                assert.ok(l.items.length <= 50);
                seen.push(...l.items);
                cursor = l.next_cursor;
                pages++;
                assert.ok(pages <= 10, 'the cursor must end');
            } while (cursor);
            return { seen, pages };
        }

        test('query-4.1 limit 50 walks every record exactly once, in number order', async () => {
            const { seen, pages } = await walk('tags=paged&limit=50');
            assert.equal(pages, 3);
            const got = seen.map((r) => r.number);
            assert.equal(new Set(got).size, PAGED, 'no duplicates');
            assert.deepEqual([...got].sort(), nums(paged), 'every record');
            const ns = got.map((n) => Number(n.slice(3)));
            assert.deepEqual(ns, [...ns].sort((a, b) => b - a), 'in order');
        });

        test('query-4.2 paging by title (with ties) also sees every record once, in order', async () => {
            const { seen } = await walk('tags=paged&limit=50&sort=title');
            const got = seen.map((r) => r.number);
            assert.equal(new Set(got).size, PAGED, 'no duplicates');
            assert.deepEqual([...got].sort(), nums(paged));
            const keys = seen.map((r) => [r.title, Number(r.number.slice(3))]);
            for (let i = 1; i < keys.length; i++) {
                const [t0, n0] = keys[i - 1];
                const [t1, n1] = keys[i];
                assert.ok(t0 < t1 || (t0 === t1 && n0 < n1), `order at ${i}: ${keys[i - 1]} then ${keys[i]}`);
            }
        });

        test('query-4.3 paging descending by title', async () => {
            const { seen } = await walk('tags=paged&limit=50&sort=-title');
            assert.equal(new Set(seen.map((r) => r.number)).size, PAGED);
            for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].title >= seen[i].title);
        });

        test('query-4.5 paging by created_at ascending sees every record once', async () => {
            const { seen } = await walk('tags=paged&limit=50&sort=created_at');
            assert.equal(new Set(seen.map((r) => r.number)).size, PAGED);
            for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].created_at <= seen[i].created_at);
        });

        test('query-4.6 a cursor carries its sort; a different explicit sort is refused', async () => {
            const first = await list('tags=paged&limit=10&sort=title');
            assert.ok(first.next_cursor);
            const c = encodeURIComponent(first.next_cursor);
            // The same sort, before or after the cursor, is fine.
            assert.equal((await api('GET', `/api/v1/articles?tags=paged&limit=10&sort=title&cursor=${c}`)).status, 200);
            assert.equal((await api('GET', `/api/v1/articles?tags=paged&limit=10&cursor=${c}&sort=title`)).status, 200);
            for (const qs of [`sort=-title&cursor=${c}`, `cursor=${c}&sort=-title`, `sort=created_at&cursor=${c}`]) {
                const res = await api('GET', `/api/v1/articles?tags=paged&limit=10&${qs}`);
                assert.equal(res.status, 400, `${qs}: ${res.text}`);
                assert.ok(res.json.errors.some((e) => e.field === 'sort' || e.field === 'cursor'), res.text);
            }
        });

        test('query-4.4 the default limit is 50 and 200 is allowed', async () => {
            assert.equal((await list('tags=paged')).items.length, 50);
            const l = await list('limit=200&tags=paged');
            assert.equal(l.items.length, PAGED);
            assert.equal(l.next_cursor, null);
        });

        // ---- 5. full-text search --------------------------------------------------------

        let zh;
        let en;
        test('query-5.0 create records to search', async () => {
            zh = await create({ title: '数据库连接超时处理', body: '检查连接池配置和网络延迟。' });
            en = await create({ title: 'Mail delivery', body: 'Restart the Kubernetes ingress controller when mail stalls.' });
            const c = await api('POST', `/api/v1/articles/${en.number}/comments`, {
                body: { body: 'The zebrafish workaround also helped.', kind: 'work_note' },
            });
            assert.equal(c.status, 201, c.text);
            const c2 = await api('POST', `/api/v1/articles/${zh.number}/comments`, { body: { body: '已在生产环境验证' } });
            assert.equal(c2.status, 201, c2.text);
        });

        const searches = [
            ['5.1 a 3-character Chinese substring of a title', '连接超', () => [zh]],
            ['5.2 a 2-character Chinese substring', '超时', () => [zh]],
            ['5.3 a Chinese substring of the body', '连接池', () => [zh]],
            ['5.4 a single Chinese character', '库', () => [zh]],
            ['5.5 a Chinese substring of a comment', '生产环境', () => [zh]],
            ['5.6 an English word of the body, any case', 'kubernetes', () => [en]],
            ['5.7 an English word in a work note', 'zebrafish', () => [en]],
            ['5.8 several terms (all must match)', 'Restart ingress', () => [en]],
            ['5.9 terms that do not occur together', 'Restart 超时', () => []],
            ['5.10 a word that occurs nowhere', 'xylophone', () => []],
            ['5.11 LIKE wildcards are literal', '%', () => []],
            ['5.12 quotes are literal', '"mail', () => []],
            ['5.13 underscore is literal', '_', () => []],
            ['5.14 backslash is literal', 'a\\b', () => []],
            ['5.15 FTS operators are literal', 'NEAR(mail', () => []],
            ['5.16 a column filter is literal', 'text:mail', () => []],
        ];
        for (const [name, q, expected] of searches) {
            test(`query-${name} (q=${q})`, async () => {
                assert.deepEqual(await numbers(`q=${encodeURIComponent(q)}`), nums(expected()));
            });
        }

        test('query-5.20 search combines with filters', async () => {
            assert.deepEqual(await numbers(`q=${encodeURIComponent('超时')}&state=draft`), [zh.number]);
            assert.deepEqual(await numbers(`q=${encodeURIComponent('超时')}&state=in_review`), []);
        });

        test('query-5.21 an updated title is searchable under its new text only', async () => {
            const rec = await create({ title: 'Obsolete heading' });
            const res = await api('PATCH', `/api/v1/articles/${rec.number}`, {
                body: { title: 'Renamed to quokka' },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(await numbers('q=quokka'), [rec.number]);
            assert.deepEqual(await numbers('q=Obsolete'), []);
        });

        test('query-5.22 /api/v1/search finds records across types', async () => {
            let res = await api('GET', `/api/v1/search?q=${encodeURIComponent('连接超')}`);
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.items.map((r) => [r.type, r.number]), [['articles', zh.number]]);
            res = await api('GET', '/api/v1/search?q=zebrafish&types=articles');
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.items.map((r) => r.number), [en.number]);
            res = await api('GET', '/api/v1/search?q=nothing-like-this');
            assert.deepEqual(res.json.items, []);
        });

        test('query-5.23 /api/v1/search refuses bad parameters with 400', async () => {
            let res = await api('GET', '/api/v1/search');
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['q:required']);
            res = await api('GET', '/api/v1/search?q=x&types=widgets');
            assert.equal(res.status, 400, res.text);
            assert.ok(res.json.errors.some((e) => e.field === 'types'));
            res = await api('GET', '/api/v1/search?q=x&state=draft');
            assert.equal(res.status, 400, res.text);
            assert.ok(res.json.errors.some((e) => e.field === 'state'));
            res = await api('GET', `/api/v1/search?q=${'x'.repeat(201)}`);
            assert.equal(res.status, 400, res.text);
            res = await api('POST', '/api/v1/search?q=x', { body: {} });
            assert.equal(res.status, 405, res.text);
        });
    });
}
