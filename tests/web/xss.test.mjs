// tests/web/xss.test.mjs - stored XSS: payloads from a corpus, stored through the API in
// titles, bodies, tags, comments and link targets' titles, must render as inert text in the
// list, detail, search and home views: no dialog, no script run (window.__xss stays unset), no
// element injected, and the text shown literally.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

const CORPUS = [
    '<script>window.__xss=1;alert(1)</script>',
    '<img src=x onerror="window.__xss=2;alert(2)">',
    '<svg onload="window.__xss=3"><script>alert(3)</script></svg>',
    '<a href="javascript:window.__xss=4">click</a>',
    'javascript:alert(5)',
    '{{constructor.constructor(\'window.__xss=6;alert(6)\')()}}',
    '${alert(7)} <iframe srcdoc="<script>parent.__xss=7</script>"></iframe>',
    '"><body onload=alert(8)><style>*{display:none}</style>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(9)>',
    '[click](javascript:alert(10)) <details open ontoggle=alert(11)>',
];

describe('stored XSS renders inert', () => {
    let srv, browser, page, base;
    const numbers = [];

    before(async () => {
        srv = await startServer({});
        base = baseOf(srv);
        for (const [i, p] of CORPUS.entries()) {
            const r = await srv.api('POST', '/api/v1/articles', {
                body: { title: `XSS ${i} ${p}`.slice(0, 200), body: `正文 ${p} ${p}`, summary: p.slice(0, 500), tags: ['xss', p.slice(0, 50)] },
            });
            assert.equal(r.status, 201, r.text);
            numbers.push(r.json.number);
            const c = await srv.api('POST', `/api/v1/articles/${r.json.number}/comments`, { body: { body: p, kind: i % 2 ? 'work_note' : 'comment' } });
            assert.equal(c.status, 201, c.text);
        }
        const l = await srv.api('POST', `/api/v1/articles/${numbers[0]}/links`, { body: { type: 'references', target: numbers[1] } });
        assert.equal(l.status, 201, l.text);
        browser = await launch();
        page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    async function assertInert(what) {
        // let any onerror/onload that could fire have its chance
        await page.waitForTimeout(300);
        assert.equal(await page.evaluate(() => window.__xss), undefined, `${what}: a payload ran`);
        const injected = await page.evaluate(() => ({
            scripts: [...document.querySelectorAll('main script, main iframe, main svg, main math, main style, main body, main mglyph')].length,
            handlers: [...document.querySelectorAll('main *')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
            jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
            imgs: [...document.querySelectorAll('main img')].filter((i) => i.getAttribute('src') === 'x').length,
        }));
        assert.deepEqual(injected, { scripts: 0, handlers: 0, jsLinks: 0, imgs: 0 }, what);
        assertClean(assert, page, what);
    }

    test('xss-1 the list shows every payload as text', async () => {
        await page.goto(`${base}/records/articles?q=XSS`);
        await page.getByRole('link', { name: numbers[0] }).waitFor();
        const text = await page.locator('table.list tbody').textContent();
        for (const p of CORPUS) assert.ok(text.includes(p.slice(0, 40)), `shown literally: ${p}`);
        await shot(page, 'xss-list');
        await assertInert('list');
    });

    test('xss-2 detail views show titles, bodies, tags, comments and links literally', async () => {
        for (const [i, n] of numbers.entries()) {
            await page.goto(`${base}/records/articles/${n}`);
            await page.locator('[data-testid=comment-body]').waitFor();
            assert.equal(await page.locator('[data-testid=record-title]').textContent(), `XSS ${i} ${CORPUS[i]}`.slice(0, 200));
            assert.equal(await page.locator('[data-testid=comment-body]').textContent(), CORPUS[i]);
            assert.equal(await page.locator('dd[data-field=body]').textContent(), `正文 ${CORPUS[i]} ${CORPUS[i]}`);
            if (i === 0) await shot(page, 'xss-detail');
            await assertInert(`detail ${n}`);
        }
        // the link's other end shows the title of the payload record as text
        await page.goto(`${base}/records/articles/${numbers[1]}`);
        await page.getByRole('link', { name: numbers[0] }).waitFor();
        await assertInert('links');
    });

    test('xss-3 search results and the home page stay inert', async () => {
        await page.goto(`${base}/search?q=XSS`);
        await page.getByRole('link', { name: numbers[3] }).waitFor();
        await assertInert('search');
        await page.goto(`${base}/`);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await assertInert('home');
        await page.goto(`${base}/records/articles/${numbers[0]}/edit`);
        await page.waitForFunction(() => document.querySelector('#f-title')?.value);
        assert.equal(await page.getByLabel('Title').inputValue(), `XSS 0 ${CORPUS[0]}`);
        await assertInert('edit form');
    });
});
