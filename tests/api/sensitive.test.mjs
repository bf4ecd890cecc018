// tests/api/sensitive.test.mjs - S7 sensitive data, black-box on both backends, through the
// contacts register: values sealed at rest (the store never holds the plaintext: not in the
// records, their history, the search index, the audit trail, nor the SQLite file and its WAL or
// a pg_dump), masks on every output (read, list, search, history, CLI), reveal allowed to admin
// and infosec_manager and audited (high severity), refused and audited for others, masked
// values sent back meaning "unchanged", format errors in en and zh-CN, `keys rotate` while the
// server runs, `keys status`, and the refusals to start (key file missing, readable by others).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, backends, cli, cliResult, fieldErrors, startServer } from './harness.mjs';
import { pgProgram } from '../torture/lib.mjs';

const SECRETS = {
    phone: '13512348888',
    id_number: '110101199003071234',
    bank_card: '6222021234567890',
    plate_number: '京A12388',
};
const MASKS = {
    phone: '135****8888',
    id_number: '110***********1234',
    bank_card: '**** **** **** 7890',
    plate_number: '京A***88',
};

/** Everything the store holds, as text: the SQLite file and its WAL, or a pg_dump. */
function storeText(srv) {
    if (srv.backend === 'pg')
        return execFileSync(pgProgram('pg_dump') || 'pg_dump', ['-d', srv.dbUrl], { encoding: 'utf8', maxBuffer: 1 << 28 });
    let text = '';
    for (const f of ['opsledger.db', 'opsledger.db-wal']) {
        const p = path.join(srv.dataDir, f);
        if (fs.existsSync(p)) text += fs.readFileSync(p).toString('latin1');
    }
    return text;
}

/** The plaintexts the store text holds (UTF-8 bytes compared as latin1 for SQLite). */
function leaked(srv, values) {
    const text = storeText(srv);
    return values.filter((v) => text.includes(srv.backend === 'pg' ? v : Buffer.from(v, 'utf8').toString('latin1')));
}

async function audits(srv, action) {
    const res = await srv.api('GET', `/api/v1/audit?action=${action}&limit=50`);
    assert.equal(res.status, 200, res.text);
    return res.json.items;
}

for (const backend of backends()) {
    describe(`sensitive data S7 (${backend})`, () => {
        let srv;
        let number;
        before(async () => {
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'sec', roles: ['infosec_manager'] },
                    { name: 'aud', roles: ['auditor'] },
                    { name: 'kb', roles: ['kb_author'] },
                ],
            });
        });
        after(async () => {
            if (srv) await srv.stop();
        });

        test('sens-1 create: the answer is masked, formats are checked in en and zh-CN', async () => {
            const res = await srv.api('POST', '/api/v1/contacts', {
                body: { title: '张三', organisation: '某某汽车服务公司', ...SECRETS, bank_card: '6222 0212 3456 7890' },
                token: srv.tokens.desk,
            });
            assert.equal(res.status, 201, res.text);
            number = res.json.number;
            assert.match(number, /^CT-\d{6}$/);
            for (const [k, m] of Object.entries(MASKS)) assert.equal(res.json[k], m, k);

            const bad = await srv.api('POST', '/api/v1/contacts', {
                body: { title: 'x', phone: '12', id_number: '1234', bank_card: '12ab', plate_number: 'XA12388' },
                token: srv.tokens.desk,
            });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad).sort(), ['bank_card:bank_card', 'id_number:id_number', 'phone:phone', 'plate_number:plate']);
            const zh = await srv.api('POST', '/api/v1/contacts', {
                body: { title: 'x', phone: '12' },
                token: srv.tokens.desk,
                headers: { 'Accept-Language': 'zh-CN' },
            });
            assert.equal(zh.status, 400);
            assert.match(zh.json.errors[0].message, /电话号码/);
            const sealedForm = await srv.api('POST', '/api/v1/contacts', { body: { title: 'x', notes: 'n', phone: 'enc:v1:k1:AAAA' } });
            assert.deepEqual(fieldErrors(sealedForm), ['phone:sealed_form']);
            // A field that is not sensitive may hold such text; key status and rotation ignore it.
            const look = await srv.api('POST', '/api/v1/contacts', { body: { title: 'lookalike', notes: 'enc:v1:k9:AAAA' } });
            assert.equal(look.status, 201, look.text);
            const lookUpd = await srv.api('PATCH', `/api/v1/contacts/${look.json.number}`, {
                body: { notes: 'enc:v1:k9:BBBB' },
                headers: { 'If-Match': '"1"' },
            });
            assert.equal(lookUpd.status, 200, lookUpd.text);
        });

        test('sens-2 reads, lists, search and history show masks only', async () => {
            const get = await srv.api('GET', `/api/v1/contacts/${number}`, { token: srv.tokens.desk });
            assert.equal(get.status, 200);
            for (const [k, m] of Object.entries(MASKS)) assert.equal(get.json[k], m);
            const list = await srv.api('GET', '/api/v1/contacts', { token: srv.tokens.desk });
            const item = list.json.items.find((i) => i.number === number);
            for (const [k, m] of Object.entries(MASKS)) assert.equal(item[k], m);
            // Sensitive values are never indexed: searching for one finds nothing.
            for (const q of [SECRETS.phone, '12348888', SECRETS.id_number]) {
                const s = await srv.api('GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`);
                assert.equal(s.status, 200);
                assert.equal(s.json.items.length, 0, q);
            }
            const byName = await srv.api('GET', `/api/v1/contacts?q=${encodeURIComponent('张三')}`);
            assert.equal(byName.json.items[0].phone, MASKS.phone);
            // Not filterable either.
            const filter = await srv.api('GET', `/api/v1/contacts?phone=${SECRETS.phone}`);
            assert.equal(filter.status, 400);
        });

        test('sens-3 reveal: admin and infosec_manager see plaintext, audited; others 403, audited', async () => {
            for (const who of ['admin', 'sec']) {
                const res = await srv.api('GET', `/api/v1/contacts/${number}?reveal=phone,plate_number`, { token: srv.tokens[who] });
                assert.equal(res.status, 200, res.text);
                assert.equal(res.json.phone, SECRETS.phone);
                assert.equal(res.json.plate_number, SECRETS.plate_number);
                assert.equal(res.json.id_number, MASKS.id_number); // not asked for
            }
            for (const who of ['desk', 'aud', 'kb']) {
                const res = await srv.api('GET', `/api/v1/contacts/${number}?reveal=id_number`, { token: srv.tokens[who] });
                assert.equal(res.status, 403, `${who}: ${res.text}`);
                assert.doesNotMatch(res.text, new RegExp(SECRETS.id_number));
            }
            const unknown = await srv.api('GET', `/api/v1/contacts/${number}?reveal=title`);
            assert.equal(unknown.status, 400);
            assert.deepEqual(fieldErrors(unknown), ['reveal:reveal_unknown']);
            const missing = await srv.api('GET', '/api/v1/contacts/CT-999999?reveal=phone');
            assert.equal(missing.status, 404);

            const entries = (await audits(srv, 'record.reveal')).filter((e) => e.target === number);
            const ok = entries.filter((e) => e.result === 'ok');
            const denied = entries.filter((e) => e.result === 'denied');
            assert.deepEqual(ok.map((e) => e.actor).sort(), ['admin', 'sec']);
            assert.deepEqual(denied.map((e) => e.actor).sort(), ['aud', 'desk', 'kb']);
            for (const e of entries) assert.equal(e.severity, 'high');
            assert.deepEqual(ok[0].detail, { fields: ['phone', 'plate_number'] });
            assert.deepEqual(denied[0].detail, { fields: ['id_number'] });
        });

        test('sens-4 update: a mask sent back is "unchanged", history and audit hold masks', async () => {
            const cur = await srv.api('GET', `/api/v1/contacts/${number}`, { token: srv.tokens.desk });
            const upd = await srv.api('PATCH', `/api/v1/contacts/${number}`, {
                body: { ...MASKS, plate_number: '沪B54321', notes: 'prefers calls after 18:00' },
                token: srv.tokens.desk,
                headers: { 'If-Match': `"${cur.json.version}"` },
            });
            assert.equal(upd.status, 200, upd.text);
            assert.equal(upd.json.phone, MASKS.phone);
            assert.equal(upd.json.plate_number, '沪B***21');
            const wrong = await srv.api('PATCH', `/api/v1/contacts/${number}`, {
                body: { phone: '139****8888' },
                token: srv.tokens.desk,
                headers: { 'If-Match': `"${upd.json.version}"` },
            });
            assert.equal(wrong.status, 400);
            assert.deepEqual(fieldErrors(wrong), ['phone:masked_mismatch']);
            const shown = await srv.api('GET', `/api/v1/contacts/${number}?reveal=phone,id_number,bank_card,plate_number`);
            assert.equal(shown.json.phone, SECRETS.phone);
            assert.equal(shown.json.id_number, SECRETS.id_number);
            assert.equal(shown.json.bank_card, '6222 0212 3456 7890');
            assert.equal(shown.json.plate_number, '沪B54321');

            const hist = await srv.api('GET', `/api/v1/contacts/${number}/history`, { token: srv.tokens.desk });
            const plate = hist.json.items.find((h) => h.field === 'plate_number');
            assert.deepEqual([plate.old, plate.new], ['京A***88', '沪B***21']);
            assert.equal(hist.json.items.filter((h) => h.field === 'phone').length, 0);
            const upd_audit = (await audits(srv, 'record.update')).find((e) => e.target === number);
            assert.deepEqual(upd_audit.detail.plate_number, ['京A***88', '沪B***21']);
        });

        test('sens-5 the store never held a plaintext', async () => {
            const all = [...Object.values(SECRETS), '6222 0212 3456 7890', '沪B54321', '54321'];
            assert.deepEqual(leaked(srv, all), []);
            // ...while it does hold the values that are not sensitive (the check can fail).
            assert.deepEqual(leaked(srv, ['prefers calls after 18:00']), ['prefers calls after 18:00']);
        });

        test('sens-6 the CLI shows masks, and reveals when asked (audited)', () => {
            const env = { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: srv.tokens.desk };
            const masked = JSON.parse(cli(['records', 'get', 'contacts', number, '--json'], { env }));
            assert.equal(masked.phone, MASKS.phone);
            const refused = cliResult(['records', 'get', 'contacts', number, '--reveal', 'phone'], { env });
            assert.equal(refused.status, 1);
            const shown = JSON.parse(cli(['records', 'get', 'contacts', number, '--json', '--reveal', 'phone'], {
                env: { ...env, OPSLEDGER_TOKEN: srv.tokens.sec },
            }));
            assert.equal(shown.phone, SECRETS.phone);
        });

        test('sens-7 keys rotate while the server runs; keys status counts per key', async () => {
            // More contacts than one batch, so rotation takes several transactions.
            for (let i = 0; i < 5; i++) {
                const res = await srv.api('POST', '/api/v1/contacts', { body: { title: `客户${i}`, phone: `1390000000${i}` } });
                assert.equal(res.status, 201, res.text);
            }
            const before = JSON.parse(cli(['keys', 'status', '--json', ...srv.dbArgs]));
            assert.equal(before.active, 'k1');
            assert.ok(before.keys.find((k) => k.id === 'k1').values >= 11);

            const out = cli(['keys', 'rotate', ...srv.dbArgs, '--key_rotate_batch', '2']);
            assert.match(out, /added key k2/);
            assert.match(out, /done/);
            // The running server reads old and new values, and seals new ones under k2.
            const shown = await srv.api('GET', `/api/v1/contacts/${number}?reveal=phone,plate_number`);
            assert.equal(shown.json.phone, SECRETS.phone);
            assert.equal(shown.json.plate_number, '沪B54321');
            const hist = await srv.api('GET', `/api/v1/contacts/${number}/history`);
            assert.equal(hist.json.items.find((h) => h.field === 'plate_number').new, '沪B***21');
            const fresh = await srv.api('POST', '/api/v1/contacts', { body: { title: '李四', phone: '13700001111' } });
            assert.equal(fresh.status, 201);

            const st = JSON.parse(cli(['keys', 'status', '--json', ...srv.dbArgs]));
            assert.equal(st.active, 'k2');
            assert.equal(st.keys.find((k) => k.id === 'k1').values, 0);
            assert.equal(st.keys.find((k) => k.id === 'k9'), undefined);
            assert.ok(st.keys.find((k) => k.id === 'k2').values >= 12);
            assert.equal(st.unreadable, 0);
            // Idempotent: a resumed rotation finds nothing left to do.
            const again = cli(['keys', 'rotate', '--resume', ...srv.dbArgs]);
            assert.match(again, /\(0 values re-encrypted\)/);
            const rot = await audits(srv, 'keys.rotate');
            assert.ok(rot.length >= 2);
            assert.ok((await audits(srv, 'keys.reencrypt')).length >= 3);
            assert.deepEqual(leaked(srv, ['13700001111', SECRETS.phone]), []);
        });

        test('sens-7b writes during a rotation: every value ends under the new key', async () => {
            // The rotation runs as its own process while this one keeps creating and updating.
            const rot = spawn(BIN, ['keys', 'rotate', ...srv.dbArgs, '--key_rotate_batch', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            rot.stdout.on('data', (d) => (out += d));
            rot.stderr.on('data', (d) => (out += d));
            const exited = new Promise((resolve) => rot.on('exit', resolve));
            let running = true;
            exited.then(() => (running = false));
            let made = 0;
            while (running && made < 200) {
                const res = await srv.api('POST', '/api/v1/contacts', { body: { title: `并发${made}`, phone: `1381111${String(made).padStart(4, '0')}` } });
                assert.equal(res.status, 201, res.text);
                const upd = await srv.api('PATCH', `/api/v1/contacts/${res.json.number}`, {
                    body: { bank_card: '6222021234567890' },
                    headers: { 'If-Match': '"1"' },
                });
                assert.equal(upd.status, 200, upd.text);
                made++;
            }
            assert.equal(await exited, 0, out);
            assert.ok(made > 0);
            const st = JSON.parse(cli(['keys', 'status', '--json', ...srv.dbArgs]));
            assert.equal(st.active, 'k3');
            for (const k of st.keys) if (k.id !== 'k3') assert.equal(k.values, 0, `${k.id}: ${out}`);
            assert.equal(st.unreadable, 0);
        });

        test('sens-8 refuses to start without its keys, or with a key file others may read', async () => {
            await srv.terminate();
            const serve = () => cliResult(['serve', ...srv.dbArgs, '--listen', '127.0.0.1:0'], { timeoutMs: 20_000 });
            fs.chmodSync(srv.keyFile, 0o644);
            let r = serve();
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /refusing to start: the key file .* may be read or written by other users.*chmod 600/);
            fs.chmodSync(srv.keyFile, 0o600);
            const saved = fs.readFileSync(srv.keyFile);
            fs.renameSync(srv.keyFile, `${srv.keyFile}.bak`);
            r = serve();
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /refusing to start: the key file .* is missing, and sealed values in the database need its keys/);
            assert.equal(fs.existsSync(srv.keyFile), false); // no new key was made in its place
            // A key file holding only the first key: the others are missing.
            fs.writeFileSync(srv.keyFile, saved.toString().split('\n')[0] + '\n', { mode: 0o600 });
            r = serve();
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /lacks key 'k3'/);
            fs.renameSync(`${srv.keyFile}.bak`, srv.keyFile);
            if (backend === 'pg') {
                // Nodes must share one key file: none named, none guessed.
                r = cliResult(['serve', '--db', srv.dbUrl, '--listen', '127.0.0.1:0'], { timeoutMs: 20_000 });
                assert.notEqual(r.status, 0);
                assert.match(r.stderr, /refusing to start: set key_file/);
            }
            await srv.restart();
            const shown = await srv.api('GET', `/api/v1/contacts/${number}?reveal=phone`);
            assert.equal(shown.json.phone, SECRETS.phone);
        });
    });
}
