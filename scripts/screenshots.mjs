// scripts/screenshots.mjs - takes the user guide's screenshots (docs/img/ui-*.png) from a real
// server with a few records, in Debian's chromium: `node scripts/screenshots.mjs` after make.
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, startServer } from '../tests/api/harness.mjs';
import { ROOT, baseOf, launch, login, openPage, unexpectedProblems } from '../tests/web/browser.mjs';

const OUT = path.join(ROOT, 'docs', 'img');
fs.mkdirSync(OUT, { recursive: true });
const srv = await startServer({ users: [{ name: 'lihua', roles: ['kb_author'] }] });
const base = baseOf(srv);
const browser = await launch();
try {
    const seed = [
        ['VPN 证书过期处理', 'troubleshooting', '检查客户端证书有效期，重新导入证书后重启 VPN 客户端。'],
        ['数据库连接超时排查', 'known_error', '连接池耗尽时应用报连接超时：检查慢查询与连接池上限。'],
        ['How to reset a password', 'how_to', 'Open the account page, choose Password, and follow the steps shown.'],
        ['打印机脱机常见问题', 'faq', '确认打印机电源与网络，然后在打印队列中取消暂停。'],
    ];
    for (const [title, category, body] of seed) {
        const r = await srv.api('POST', '/api/v1/articles', { body: { title, category, body, tags: ['it'] } });
        if (r.status !== 201) throw new Error(r.text);
        await srv.api('POST', `/api/v1/articles/${r.json.number}/transitions/submit`, { body: {} });
    }
    await srv.api('POST', '/api/v1/articles/KB-000001/transitions/publish', { body: {} });
    await srv.api('POST', '/api/v1/articles/KB-000001/comments', { body: { body: '已在 3 台终端上验证。', kind: 'comment' } });
    await srv.api('POST', '/api/v1/articles/KB-000001/links', { body: { type: 'relates_to', target: 'KB-000002' } });

    const page = await openPage(browser, { width: 1280, height: 800 });
    const snap = async (name, full = false) => page.screenshot({ path: path.join(OUT, `ui-${name}.png`), fullPage: full });
    await page.goto(`${base}/login`);
    await page.locator('#username').waitFor();
    await snap('login');
    await login(page, base, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.locator('[data-testid=count-mine]').first().waitFor();
    await snap('home');
    await page.goto(`${base}/records/articles`);
    await page.getByRole('link', { name: 'KB-000001' }).waitFor();
    await snap('list');
    await page.goto(`${base}/records/articles/KB-000001`);
    await page.locator('[data-testid=comment-body]').waitFor();
    await snap('detail', true);
    await page.goto(`${base}/records/articles/KB-000002`);
    await page.getByRole('button', { name: 'Send back', exact: true }).click();
    await snap('transition');
    await page.goto(`${base}/records/articles/new`);
    await page.getByLabel('Title').fill('ab');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#f-title-err').waitFor();
    await snap('validation');
    await page.goto(`${base}/admin/users`);
    await page.locator('#acc-user').fill('lihua');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('label', { hasText: 'ops_engineer' }).locator('input').check();
    await page.locator('label', { hasText: 'developer' }).locator('input').first().check();
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByRole('alert').waitFor();
    await page.getByRole('alert').evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await snap('incompatible-roles');
    await page.goto(`${base}/account/mfa`);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.locator('img.qr').waitFor();
    await snap('mfa-enrol');
    await page.goto(`${base}/search?q=${encodeURIComponent('连接超时')}`);
    await page.locator('.results li').first().waitFor();
    await page.locator('#lang').selectOption('zh-CN');
    await page.getByRole('link', { name: '首页' }).waitFor();
    await snap('search-zh');
    await page.locator('#lang').selectOption('en');
    const tablet = await openPage(browser, { width: 820, height: 1180 });
    await login(tablet, base, 'lihua', 'Us3r-Passw0rd-long!');
    await tablet.getByRole('heading', { name: /Welcome/ }).waitFor();
    await tablet.goto(`${base}/records/articles/KB-000001`);
    await tablet.locator('[data-testid=comment-body]').waitFor();
    await tablet.screenshot({ path: path.join(OUT, 'ui-tablet.png') });
    const bad = [...unexpectedProblems(page), ...unexpectedProblems(tablet)];
    if (bad.length) throw new Error(`console errors: ${bad.join('\n')}`);
    console.log(`screenshots in ${OUT}`);
} finally {
    await browser.close();
    await srv.stop();
}
