// tests/web/browser.mjs - Debian's chromium driven by playwright-core (no browser download), a
// page that records every console error and page error, logging in through the UI, and TOTP
// codes computed here (RFC 6238) for the MFA steps. Shared by the browser tests, bench/ and
// scripts/screenshots.mjs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = path.join(ROOT, 'tests', 'web', 'out');
// playwright-core is a dev dependency of web/ (web/package-lock.json).
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core');

export const CHROMIUM = process.env.OPSLEDGER_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
    if (!fs.existsSync(CHROMIUM))
        throw new Error(`${CHROMIUM} is missing: run scripts/install-deps.sh (Debian's chromium)`);
    if (!fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html')))
        throw new Error('the web UI is not built: run make');
    // No background traffic: the machine's network is closed, and the tests must not wait on it.
    return chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

/** A new page (own context: own cookies) that collects console errors and page errors in
 * page.problems, and dialogs (alert/confirm/prompt: an XSS would open one) in page.dialogs. */
export async function openPage(browser, { width = 1280, height = 900, locale = 'en-US' } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, locale, timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.problems = [];
    page.dialogs = [];
    page.on('console', (m) => {
        if (m.type() === 'error') page.problems.push(`console: ${m.text()} @ ${m.location()?.url || ''}`);
    });
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    page.on('dialog', async (d) => {
        page.dialogs.push(`${d.type()}: ${d.message()}`);
        await d.dismiss();
    });
    page.setDefaultTimeout(20_000); // the machine is shared: generous, still bounded
    return page;
}

export async function shot(page, name) {
    fs.mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

/** Logs in through the login screen with a password; stops at the TOTP step when asked. */
export async function login(page, url, username, password) {
    await page.goto(`${url}/login`);
    await page.getByLabel(/User name|用户名/).fill(username);
    await page.getByLabel(/^(Password|密码)$/).fill(password);
    await page.getByRole('button', { name: /^(Log in|登录)$/ }).click();
}

function base32(s) {
    const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const ch of s.replace(/=+$/, '').toUpperCase()) {
        const v = alpha.indexOf(ch);
        if (v < 0) throw new Error(`not base32: ${ch}`);
        bits += v.toString(2).padStart(5, '0');
    }
    const out = [];
    for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
    return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret at time t (ms). */
export function totp(secret, t = Date.now(), step = 0) {
    const counter = Math.floor(t / 1000 / 30) + step;
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(counter));
    const h = crypto.createHmac('sha1', base32(secret)).update(msg).digest();
    const o = h[h.length - 1] & 0xf;
    const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
    return String(n % 1_000_000).padStart(6, '0');
}

// Chrome logs every non-2xx fetch as "Failed to load resource: … status of N": for the API's
// expected refusals (401 before login, 400/409/422 the tests provoke) that is not an error of
// the page. Everything else — script errors, CSP violations, 5xx — fails the test.
const EXPECTED_HTTP = /^console: Failed to load resource: the server responded with a status of (400|401|403|404|409|412|422) /;

/** The page's console errors and page errors, less the API refusals expected above. */
export const unexpectedProblems = (page) => page.problems.filter((p) => !EXPECTED_HTTP.test(p));

/** Fails when the page logged a console error or threw, or an alert/confirm/prompt opened. */
export function assertClean(assert, page, what = '') {
    const bad = unexpectedProblems(page);
    assert.deepEqual(bad, [], `${what}: console errors / page errors`);
    assert.deepEqual(page.dialogs, [], `${what}: dialogs opened`);
}

/** The server's URL without its trailing slash. */
export const baseOf = (srv) => srv.url.replace(/\/$/, '');
