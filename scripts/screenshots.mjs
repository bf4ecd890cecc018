// scripts/screenshots.mjs - takes the user guide's screenshots (docs/img/ui-*.png) from a real
// server with a few records, in Debian's chromium: `node scripts/screenshots.mjs` after make.
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, startServer } from '../tests/api/harness.mjs';
import { ROOT, baseOf, launch, login, openPage, unexpectedProblems } from '../tests/web/browser.mjs';

const OUT = path.join(ROOT, 'docs', 'img');
fs.mkdirSync(OUT, { recursive: true });
const srv = await startServer({
    users: [{ name: 'lihua', roles: ['kb_author'] }, { name: 'wangwu', roles: [] }, { name: 'desk1', roles: ['service_desk'] }],
});
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
    // Issue 6: the self-service portal, confirming with a rating, alerts on an incident, integrations.
    const ok = (r) => {
        if (r.status >= 300) throw new Error(r.text);
        return r.json;
    };
    for (const [title, category, level, description] of [
        ['笔记本电脑申领', '桌面', '30 分钟响应,3 个工作日交付', '为新员工或到期更换配发笔记本电脑'],
        ['VPN 账号开通', '账号', '1 个工作日开通', 'Remote access for staff working from home'],
        ['数据库只读账号', '数据', '2 个工作日,需审批', '为报表与分析开通生产库只读账号'],
    ]) {
        const svc = ok(await srv.api('POST', '/api/v1/services', { body: { title, category, description, service_level: level, kind: 'technical', owner: 'admin', service_version: '1.0', approval_required: category === '数据' } }));
        ok(await srv.api('POST', `/api/v1/services/${svc.number}/transitions/publish`, { body: {} }));
    }
    const rq = ok(await srv.api('POST', '/api/v1/requests', { token: srv.tokens.wangwu, body: { title: '新员工笔记本', service: 'SVC-000001', justification: '下周一入职' } }));
    ok(await srv.api('POST', `/api/v1/requests/${rq.number}/transitions/start`, { token: srv.tokens.desk1, body: { fields: { owner: 'desk1' } } }));
    ok(await srv.api('POST', `/api/v1/requests/${rq.number}/transitions/fulfil`, { token: srv.tokens.desk1, body: { fields: { resolution: '已配发 ThinkPad X1,资产号 A-1024' } } }));
    ok(await srv.api('POST', '/api/v1/requests', { token: srv.tokens.wangwu, body: { title: 'VPN for 王五', service: 'SVC-000002' } }));
    const requester = await openPage(browser, { width: 1280, height: 800 });
    await login(requester, base, 'wangwu', 'Us3r-Passw0rd-long!');
    await requester.getByRole('heading', { name: /Welcome/ }).waitFor();
    await requester.goto(`${base}/portal`);
    await requester.locator('[data-testid=my-requests]').waitFor();
    await requester.screenshot({ path: path.join(OUT, 'ui-portal.png'), fullPage: true });
    await requester.goto(`${base}/portal/requests/${rq.number}`);
    await requester.locator('label[for=cf-rating-4]').click();
    await requester.getByLabel('Comment').fill('很快,谢谢');
    await requester.screenshot({ path: path.join(OUT, 'ui-portal-confirm.png'), fullPage: true });
    await page.goto(`${base}/admin/integrations`);
    await page.getByLabel('Name').fill('prom-prod');
    await page.getByRole('button', { name: 'Create integration' }).click();
    const token = await page.locator('#tok-value').inputValue();
    await snap('integrations', true);
    const hook = await fetch(`${base}/api/v1/integrations/alertmanager`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', fingerprint: 'disk-db1', labels: { alertname: 'DiskFull', instance: 'db1:9100', severity: 'critical', service: 'core-banking' }, annotations: { summary: '磁盘使用率 95%' }, generatorURL: 'http://prometheus.example:9090/graph?g0.expr=disk' }] }),
    });
    const inc = (await hook.json()).alerts[0].incident;
    await page.goto(`${base}/records/incidents/${inc}`);
    await page.locator('[data-testid=alerts]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await snap('incident-alerts');
    const bad = [...unexpectedProblems(page), ...unexpectedProblems(tablet), ...unexpectedProblems(requester)];
    if (bad.length) throw new Error(`console errors: ${bad.join('\n')}`);
    console.log(`screenshots in ${OUT}`);
} finally {
    await browser.close();
    await srv.stop();
}
