// tests/api/cli.test.mjs - the opsledger command line, black-box: init, token create, every
// `records` subcommand against a running server, online backup, and restore with its refusals.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.OPSLEDGER_BIN || path.join(ROOT, 'opsledger');
const ADMIN_PASSWORD = 'Adm1n-Passw0rd!';
const SANITIZER_RE = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;
const BODY = '检查 VPN 客户端证书是否过期，然后重新导入证书并重启客户端。';


/** Our environment without OPSLEDGER_* settings, plus extra. */
function childEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPSLEDGER_')) env[k] = v;
    return {
        ...env,
        LANG: 'C.UTF-8',
        ...extra,
    };
}

/** Runs the binary to completion; fails the test on a sanitizer report. */
function run(args, env = {}) {
    const r = spawnSync(BIN, args, { encoding: 'utf8', env: childEnv(env), timeout: 30_000 });
    assert.ok(!r.error, `${args.join(' ')}: ${r.error}`);
    assert.doesNotMatch(r.stderr, SANITIZER_RE, `sanitizer report from ${args.join(' ')}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and expects exit status 0. */
function ok(args, env) {
    const r = run(args, env);
    assert.equal(r.status, 0, `${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r;
}

function json(r) {
    return JSON.parse(r.stdout);
}

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A TCP port nothing listens on (bound, then released). */
function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

// ---- the server process: only the ones started here are ever signalled ----------------------

const live = new Set();
process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
});

/** Starts `opsledger serve` on an ephemeral port; resolves once it printed its listening line. */
function startServer(dataDir) {
    const proc = spawn(BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
        env: childEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    const srv = { proc, stderr: '', url: null };
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
        if (srv.stderr.length < 1 << 20) srv.stderr += d;
    });
    return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            reject(new Error(`server did not start: ${out}${srv.stderr}`));
        }, 10_000);
        proc.stdout.setEncoding('utf8');
        proc.stdout.on('data', (d) => {
            out += d;
            const m = /^opsledger \S+ listening on http:\/\/127\.0\.0\.1:(\d+)\//m.exec(out);
            if (m && !srv.url) {
                clearTimeout(timer);
                srv.url = `http://127.0.0.1:${m[1]}`;
                resolve(srv);
            }
        });
        proc.on('exit', (code, sig) => {
            live.delete(proc);
            clearTimeout(timer);
            if (!srv.url) reject(new Error(`server exited (${code ?? sig}): ${out}${srv.stderr}`));
        });
    });
}

/** SIGTERM to the server we started; waits for a clean exit. */
async function stopServer(srv) {
    if (!srv || srv.proc.exitCode !== null || srv.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => {
        srv.proc.once('exit', (code, sig) => resolve({ code, sig }));
    });
    srv.proc.kill('SIGTERM');
    const timer = setTimeout(() => srv.proc.kill('SIGKILL'), 10_000);
    const { code, sig } = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, `server exit ${code ?? sig}: ${srv.stderr}`);
    assert.doesNotMatch(srv.stderr, SANITIZER_RE, 'sanitizer report from the server');
}

describe('opsledger CLI', () => {
    let tmp, dataDir, srv, token;
    const art = {}; // article numbers by role in the story: a, b, late
    const env = () => ({ OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: token });
    const rec = (args, extra = {}) => run(['records', ...args], { ...env(), ...extra });
    const recOk = (args, extra = {}) => ok(['records', ...args], { ...env(), ...extra });

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-cli-'));
        dataDir = path.join(tmp, 'data');
        ok(['init', '--data', dataDir], { OPSLEDGER_ADMIN_PASSWORD: ADMIN_PASSWORD });
        srv = await startServer(dataDir);
        token = ok(['token', 'create', '--data', dataDir, '--user', 'admin']).stdout.trim();
        assert.match(token, /^\S{20,}$/);
    });

    after(async () => {
        await stopServer(srv);
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    test('cli-1.1 records create prints the new record with --json', () => {
        const fields = { title: 'VPN 证书过期处理', body: BODY, category: 'troubleshooting', tags: ['vpn'] };
        const r = recOk(['create', 'articles', '--json', '--fields', JSON.stringify(fields)]);
        const a = json(r);
        assert.match(a.number, /^KB-\d+$/);
        assert.equal(a.state, 'draft');
        assert.equal(a.title, 'VPN 证书过期处理');
        assert.equal(a.version, 1);
        assert.deepEqual(a.tags, ['vpn']);
        art.a = a.number;

        // --data @FILE, and the readable form: "NUMBER  state  title", then "name: value".
        const file = path.join(tmp, 'b.json');
        fs.writeFileSync(file, '{"title": "Printer offline on floor 3", "category": "faq"}');
        const b = recOk(['create', 'articles', '--fields', `@${file}`]).stdout.split('\n');
        const m = /^(KB-\d+)  draft  Printer offline on floor 3$/.exec(b[0]);
        assert.ok(m, b[0]);
        assert.ok(b.includes('category: faq'), b.join('\n'));
        art.b = m[1];
        assert.notEqual(art.a, art.b);
    });

    test('cli-1.2 records get', () => {
        const a = json(recOk(['get', 'articles', art.a, '--json']));
        assert.equal(a.number, art.a);
        assert.equal(a.body, BODY);
        const lines = recOk(['get', 'articles', art.a]).stdout.split('\n');
        assert.equal(lines[0], `${art.a}  draft  VPN 证书过期处理`);
        assert.ok(lines.includes('category: troubleshooting'), lines.join('\n'));

        const missing = rec(['get', 'articles', 'KB-999999']);
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /404/);
    });

    test('cli-1.3 records list with filters, Chinese search, sort and cursor', () => {
        const numbers = (r) => json(r).items.map((i) => i.number);
        const hit = recOk(['list', 'articles', '--json', '--filter', 'category=troubleshooting',
            '--q', '证书']);
        assert.deepEqual(numbers(hit), [art.a]);
        const none = recOk(['list', 'articles', '--json', '--filter', 'category=faq', '--q', '证书']);
        assert.deepEqual(numbers(none), []);
        const faq = recOk(['list', 'articles', '--json', '--filter', 'category=faq']);
        assert.deepEqual(numbers(faq), [art.b]);

        // A value that needs URL encoding (space, &, =) reaches the server as one value.
        const odd = recOk(['list', 'articles', '--json', '--q', 'floor 3&x=1']);
        assert.deepEqual(numbers(odd), []);

        const page1 = json(recOk(['list', 'articles', '--json', '--sort', 'number', '--limit', '1']));
        assert.deepEqual(page1.items.map((i) => i.number), [art.a]);
        assert.ok(page1.next_cursor, 'a next cursor');
        const page2 = recOk(['list', 'articles', '--json', '--sort', 'number', '--limit', '1',
            '--cursor', page1.next_cursor]);
        assert.deepEqual(numbers(page2), [art.b]);

        const readable = recOk(['list', 'articles', '--sort', 'number', '--limit', '1']).stdout;
        assert.equal(readable, `${art.a}  draft  VPN 证书过期处理\nnext: ${page1.next_cursor}\n`);

        const bad = rec(['list', 'articles', '--filter', 'nosuchfield=1']);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /nosuchfield: /);
    });

    test('cli-1.4 records update: reads the version itself, or uses --version as If-Match', () => {
        const u = json(recOk(['update', 'articles', art.a, '--json', '--fields', '{"summary":"证书过期"}']));
        assert.equal(u.version, 2);
        assert.equal(u.summary, '证书过期');

        const stale = rec(['update', 'articles', art.a, '--version', '1', '--fields', '{"summary":"old"}']);
        assert.equal(stale.status, 1);
        assert.match(stale.stderr, /412/);
        assert.equal(json(recOk(['get', 'articles', art.a, '--json'])).summary, '证书过期');

        const fresh = json(recOk(['update', 'articles', art.a, '--json', '--version', '2',
            '--fields', '{"audience":"public"}']));
        assert.equal(fresh.version, 3);
        assert.equal(fresh.audience, 'public');
    });

    test('cli-1.5 records transition: submit needs a body, then publish', () => {
        const noBody = rec(['transition', 'articles', art.b, 'submit']);
        assert.equal(noBody.status, 1);
        assert.match(noBody.stderr, /^ {2}body: /m);

        const b = json(recOk(['transition', 'articles', art.b, 'submit', '--json',
            '--fields', JSON.stringify({ body: 'Power-cycle the printer and re-add the queue.' })]));
        assert.equal(b.state, 'in_review');
        assert.equal(b.body, 'Power-cycle the printer and re-add the queue.');

        assert.equal(json(recOk(['transition', 'articles', art.a, 'submit', '--json'])).state, 'in_review');
        const pub = json(recOk(['transition', 'articles', art.a, 'publish', '--json',
            '--reason', 'reviewed by ops']));
        assert.equal(pub.state, 'published');

        const again = rec(['transition', 'articles', art.a, 'publish']);
        assert.equal(again.status, 1);
        assert.match(again.stderr, /422/);
    });

    test('cli-1.6 records comment and work note', () => {
        const c = json(recOk(['comment', 'articles', art.a, '--json', '--body', '已在 3 楼验证']));
        assert.equal(c.kind, 'comment');
        assert.equal(c.body, '已在 3 楼验证');
        const w = json(recOk(['comment', 'articles', art.a, '--json', '--body', 'internal',
            '--work-note']));
        assert.equal(w.kind, 'work_note');
        const missing = rec(['comment', 'articles', art.a]);
        assert.equal(missing.status, 2);
    });

    test('cli-1.7 records link two articles', async () => {
        const l = json(recOk(['link', 'articles', art.a, '--json', '--link-type', 'relates_to',
            '--target', art.b]));
        assert.equal(l.type, 'relates_to');
        assert.equal(l.source, art.a);
        assert.equal(l.target, art.b);

        // The server agrees, seen through the API directly.
        const res = await fetch(`${srv.url}/api/v1/articles/${art.a}/links`, {
            headers: { Authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 200);
        const links = (await res.json()).items;
        assert.ok(JSON.stringify(links).includes(art.b), JSON.stringify(links));

        const dup = rec(['link', 'articles', art.a, '--link-type', 'relates_to', '--target', art.b]);
        assert.equal(dup.status, 1);
        assert.match(dup.stderr, /409/);
    });

    test('cli-1.8 records history', () => {
        const items = json(recOk(['history', 'articles', art.a, '--json'])).items;
        assert.equal(items[0].action, 'create');
        assert.ok(items.some((h) => h.field === 'summary' && h.new === '证书过期'),
            JSON.stringify(items));
        const states = items.filter((h) => h.field === 'state').map((h) => h.new);
        assert.deepEqual(states, ['in_review', 'published']);
        assert.ok(items.some((h) => h.reason === 'reviewed by ops'));
        const text = recOk(['history', 'articles', art.a]).stdout;
        assert.match(text, /transition {2}state: in_review -> published {2}\(reviewed by ops\)/);
    });

    test('cli-1.8b records stats counts by a field, with filters', () => {
        const text = recOk(['stats', 'articles', '--by', 'category']).stdout;
        assert.equal(text, 'faq  1\ntroubleshooting  1\ntotal  2\n');
        const s = json(recOk(['stats', 'articles', '--json', '--by', 'state', '--filter', 'category=faq']));
        assert.deepEqual(s, { by: 'state', total: 1, counts: [{ value: s.counts[0].value, count: 1 }], more: false });
        const none = rec(['stats', 'articles']);
        assert.equal(none.status, 2);
        assert.match(none.stderr, /--by/);
        const bad = rec(['stats', 'articles', '--by', 'body']);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /by: /);
    });

    test('cli-1.9 a bad --fields: exit 1 with the field errors on stderr, nothing written', () => {
        const before = json(recOk(['list', 'articles', '--json'])).items.length;
        const r = rec(['create', 'articles', '--fields', '{"title":"x","category":"faq"}']);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /400/);
        assert.match(r.stderr, /^ {2}title: \S/m);
        // Accept-Language follows LANG.
        const zh = rec(['create', 'articles', '--fields', '{"title":"x","category":"faq"}'],
            { LANG: 'zh_CN.UTF-8' });
        assert.equal(zh.status, 1);
        assert.match(zh.stderr, /^ {2}title: .*[\u4e00-\u9fff]/m);
        assert.equal(json(recOk(['list', 'articles', '--json'])).items.length, before);

        const notJson = rec(['create', 'articles', '--fields', '{title:']);
        assert.equal(notJson.status, 2);
        assert.match(notJson.stderr, /--fields/);
    });

    test('cli-1.10 token from --token-file, none refused, connection failures exit 3', async () => {
        const file = path.join(tmp, 'token');
        fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
        const r = ok(['records', 'get', 'articles', art.a, '--json', '--url', srv.url,
            '--token-file', file]);
        assert.equal(json(r).number, art.a);

        const none = run(['records', 'get', 'articles', art.a, '--url', srv.url]);
        assert.equal(none.status, 2);
        assert.match(none.stderr, /OPSLEDGER_TOKEN/);

        const wrong = rec(['get', 'articles', art.a], { OPSLEDGER_TOKEN: 'not-a-token' });
        assert.equal(wrong.status, 1);
        assert.match(wrong.stderr, /401/);

        const nobody = `http://127.0.0.1:${await freePort()}`;
        const down = rec(['get', 'articles', art.a], { OPSLEDGER_URL: nobody });
        assert.equal(down.status, 3);
        assert.match(down.stderr, /cannot reach the server/);
    });

    let backup;

    test('cli-2.1 backup while the server runs, with a sha256sum file', () => {
        backup = path.join(tmp, 'backups', 'ol.db');
        fs.mkdirSync(path.dirname(backup));
        ok(['backup', backup, '--data', dataDir]);
        const line = fs.readFileSync(`${backup}.sha256`, 'utf8');
        assert.equal(line, `${sha256(backup)}  ol.db\n`);
        assert.equal(fs.statSync(backup).mode & 0o777, 0o600);
        assert.ok(!fs.existsSync(`${backup}.tmp`));

        const again = run(['backup', backup, '--data', dataDir]);
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, /--force/);
        assert.equal(fs.readFileSync(`${backup}.sha256`, 'utf8'), line);

        // Written after the backup: gone again once the backup is restored.
        art.late = json(recOk(['create', 'articles', '--json', '--fields',
            '{"title":"Written after the backup","category":"faq"}'])).number;
    });

    test('cli-2.2 backup refuses PostgreSQL and points to its tools', () => {
        const target = path.join(tmp, 'pg.db');
        const r = run(['backup', target, '--db', 'postgresql://ol@127.0.0.1/ol']);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /pg_dump/);
        assert.ok(!fs.existsSync(target));
    });

    test('cli-2.3 restore refuses while the server runs', () => {
        const r = run(['restore', backup, '--data', dataDir, '--force']);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /stop the server first/);
        assert.equal(json(recOk(['get', 'articles', art.late, '--json'])).number, art.late);
    });

    test('cli-2.4 restore refuses a tampered or unverifiable backup', async () => {
        await stopServer(srv);
        const bad = path.join(tmp, 'tampered.db');
        const bytes = fs.readFileSync(backup);
        bytes[bytes.length - 100] ^= 0xff;
        fs.writeFileSync(bad, bytes);
        const sum = fs.readFileSync(`${backup}.sha256`, 'utf8');
        fs.writeFileSync(`${bad}.sha256`, sum.replace('ol.db', 'tampered.db'));
        const r = run(['restore', bad, '--data', dataDir, '--force']);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /checksum mismatch/);

        fs.rmSync(`${bad}.sha256`);
        const unverified = run(['restore', bad, '--data', dataDir, '--force']);
        assert.equal(unverified.status, 1);
        assert.match(unverified.stderr, /sha256/);

        // A matching checksum does not make a damaged database acceptable.
        const junk = path.join(tmp, 'junk.db');
        fs.writeFileSync(junk, 'not a database at all'.repeat(300));
        fs.writeFileSync(`${junk}.sha256`, `${sha256(junk)}  junk.db\n`);
        const notDb = run(['restore', junk, '--data', dataDir, '--force']);
        assert.equal(notDb.status, 1);
        assert.match(notDb.stderr, /not a readable SQLite database/);

        const noForce = run(['restore', backup, '--data', dataDir]);
        assert.equal(noForce.status, 1);
        assert.match(noForce.stderr, /--force/);
        assert.deepEqual(fs.readdirSync(dataDir).filter((f) => f.includes('before-restore')), []);
    });

    test('cli-2.5 restore the good backup with --force, then serve it', async () => {
        const r = ok(['restore', backup, '--data', dataDir, '--force']);
        assert.match(r.stdout, /restored and verified/);
        const kept = fs.readdirSync(dataDir)
            .filter((f) => f.startsWith('opsledger.db.before-restore-'));
        assert.equal(kept.length, 1);
        assert.ok(!fs.existsSync(path.join(dataDir, 'opsledger.db.tmp')));

        srv = await startServer(dataDir);
        const a = json(recOk(['get', 'articles', art.a, '--json']));
        assert.equal(a.state, 'published');
        assert.equal(a.summary, '证书过期');
        assert.equal(json(recOk(['get', 'articles', art.b, '--json'])).state, 'in_review');
        const late = rec(['get', 'articles', art.late]);
        assert.equal(late.status, 1);
        assert.match(late.stderr, /404/);
        const all = json(recOk(['list', 'articles', '--json'])).items.map((i) => i.number).sort();
        assert.deepEqual(all, [art.a, art.b].sort());
    });
});
