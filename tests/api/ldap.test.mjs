// tests/api/ldap.test.mjs - directory (LDAP) login against a real slapd started by the test:
// bind with the user's password, groups mapped to roles (removed before added), refusals
// audited, injection escaped, local accounts untouched, a directory outage answered clearly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ADMIN_PASSWORD, USER_PASSWORD, backends, cliResult, startServer } from './harness.mjs';
import { BASE, SVC_DN, groupDn, slapdMissing, startSlapd, userDn } from './ldap-server.mjs';

const PEOPLE = [
    { uid: 'alice', cn: 'Alice Liu', mail: 'alice@example.com', password: 'alice-Dir-pw1' },
    { uid: 'carol', cn: 'Carol Wang', password: 'carol-Dir-pw1' },
    { uid: 'dave', cn: 'Dave Zhao', password: 'dave-Dir-pw1' },
    { uid: 'bob', cn: 'Bob Directory', password: 'bob-Dir-pw1' },
];
const GROUPS = [
    { cn: 'ops', members: ['alice', 'carol'] },
    { cn: 'devs', members: ['carol', 'bob'] },
    { cn: 'misc', members: ['dave'] },
];
// Upper case on purpose: group DNs are compared ignoring case.
const ROLE_MAP = `CN=Ops,ou=groups,${BASE}=ops_engineer; cn=devs,OU=groups,${BASE}=developer`;

/** Rows of one text column, from either backend. */
function column(srv, sql) {
    const out = srv.backend === 'sqlite'
        ? execFileSync('sqlite3', [path.join(srv.dataDir, 'opsledger.db'), sql], { encoding: 'utf8' })
        : execFileSync('psql', [srv.dbUrl, '-At', '-c', sql], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l !== '');
}

const auditOf = (srv, who) =>
    column(srv, `SELECT action || '|' || result || '|' || coalesce(detail, '') FROM audit_log ` +
        `WHERE target = '${who}' ORDER BY id`);

const login = (srv, username, password, headers = {}) =>
    srv.api('POST', '/api/v1/session', { body: { username, password }, token: null, headers });

async function rolesOf(srv, res) {
    const cookie = res.headers.get('set-cookie').split(';')[0];
    const me = await srv.api('GET', '/api/v1/session', { token: null, headers: { Cookie: cookie } });
    assert.equal(me.status, 200);
    return me.json.roles;
}

const bindsOf = (dir, uid) => dir.log().split('\n').filter((l) => l.includes(`BIND dn="${userDn(uid)}"`)).length;

const skip = slapdMissing() ?? false;

for (const backend of backends()) {
    describe(`ldap (${backend})`, { skip }, () => {
        let dir, srv;
        before(async () => {
            dir = await startSlapd({ people: PEOPLE, groups: GROUPS });
            srv = await startServer({
                backend,
                users: [{ name: 'bob', roles: ['tester'] }], // a local account named like a directory one
                args: ['--ldap_url', dir.url, '--ldap_bind_dn', SVC_DN, '--ldap_bind_password_file',
                    dir.svcPasswordFile, '--ldap_base_dn', BASE, '--ldap_role_map', ROLE_MAP,
                    '--ldap_timeout', '3'],
            });
        });
        after(async () => {
            await srv?.stop();
            await dir?.stop();
        });

        test('ldap-1.1 the right password gives a session with the mapped roles; the account is made and audited', async () => {
            const res = await login(srv, 'alice', 'alice-Dir-pw1');
            assert.equal(res.status, 200, res.text);
            assert.match(res.headers.get('set-cookie'), /ol_session=/);
            assert.deepEqual(await rolesOf(srv, res), ['ops_engineer']);
            assert.deepEqual(column(srv, "SELECT auth_source || '|' || display_name || '|' || email || '|' || password_hash FROM users WHERE username = 'alice'"),
                ['ldap|Alice Liu|alice@example.com|!']);
            const audit = auditOf(srv, 'alice');
            assert.match(audit[0], /^user\.create\|ok\|.*"source":"ldap"/);
            assert.match(audit[1], /^user\.role\.add\|ok\|.*"role":"ops_engineer"/);
            assert.match(audit[2], /^auth\.directory\|ok\|.*"dn":"uid=alice,ou=people,dc=example,dc=com"/);
            assert.match(audit[3], /^auth\.login\|ok/);
            // The name is matched by the directory ignoring case: the same account, not a new one.
            const again = await login(srv, 'ALICE', 'alice-Dir-pw1');
            assert.equal(again.status, 200, again.text);
            assert.deepEqual(column(srv, "SELECT count(*) FROM users WHERE lower(username) = 'alice'"), ['1']);
        });

        test('ldap-1.2 a wrong password is 401 and audited with source ldap', async () => {
            const res = await login(srv, 'alice', 'not-her-password');
            assert.equal(res.status, 401, res.text);
            assert.equal(res.json.detail, 'wrong user name or password');
            const last = auditOf(srv, 'alice').at(-1);
            assert.match(last, /^auth\.login\|denied\|.*"source":"ldap".*"reason":"wrong password"/);
            const zh = await login(srv, 'alice', 'not-her-password', { 'Accept-Language': 'zh-CN' });
            assert.equal(zh.json.detail, '用户名或密码错误');
        });

        test('ldap-1.3 an empty password is 401 without any bind (it would be an anonymous bind)', async () => {
            const binds = bindsOf(dir, 'alice');
            const res = await login(srv, 'alice', '');
            assert.equal(res.status, 401, res.text);
            assert.equal(bindsOf(dir, 'alice'), binds, 'no bind as alice reached the directory');
            assert.match(auditOf(srv, 'alice').at(-1), /^auth\.login\|denied\|.*empty password/);
        });

        test('ldap-1.4 a user moved to another group has the new roles at the next login, old ones removed first', async () => {
            dir.modify(`dn: ${groupDn('ops')}\nchangetype: modify\ndelete: member\nmember: ${userDn('alice')}\n\n` +
                `dn: ${groupDn('devs')}\nchangetype: modify\nadd: member\nmember: ${userDn('alice')}\n`);
            const before = auditOf(srv, 'alice').length;
            const res = await login(srv, 'alice', 'alice-Dir-pw1');
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(await rolesOf(srv, res), ['developer']);
            const changes = auditOf(srv, 'alice').slice(before).filter((l) => l.startsWith('user.role'));
            assert.equal(changes.length, 2);
            assert.match(changes[0], /^user\.role\.remove\|ok\|.*"role":"ops_engineer"/);
            assert.match(changes[1], /^user\.role\.add\|ok\|.*"role":"developer"/);
        });

        test('ldap-1.5 groups mapping to incompatible roles (S6) are refused with a clear, audited 409', async () => {
            const res = await login(srv, 'carol', 'carol-Dir-pw1');
            assert.equal(res.status, 409, res.text);
            assert.match(res.json.detail, /incompatible roles \((ops_engineer and developer|developer and ops_engineer)\)/);
            assert.match(auditOf(srv, 'carol').at(-1), /^auth\.login\|denied\|.*S6/);
            assert.deepEqual(column(srv, "SELECT count(*) FROM users WHERE username = 'carol'"), ['0']);
        });

        test('ldap-1.6 a user in no mapped group is refused (403) and gets no account', async () => {
            const res = await login(srv, 'dave', 'dave-Dir-pw1');
            assert.equal(res.status, 403, res.text);
            assert.deepEqual(column(srv, "SELECT count(*) FROM users WHERE username = 'dave'"), ['0']);
        });

        test('ldap-1.7 a filter injection attempt does not log in; the filter is escaped (RFC 4515)', async () => {
            for (const name of ['*)(uid=*', '*', 'alice)(|(uid=*']) {
                const res = await login(srv, name, 'alice-Dir-pw1');
                assert.equal(res.status, 401, `${name}: ${res.text}`);
            }
            assert.match(dir.log(), /filter="\(uid=\\2A\\29\\28uid=\\2A\)"/i);
            assert.doesNotMatch(dir.log(), /filter="\(uid=\*\)"/);
        });

        test('ldap-1.8 local accounts never go to the directory, even when the directory has the name', async () => {
            const binds = bindsOf(dir, 'bob');
            assert.equal((await login(srv, 'bob', 'bob-Dir-pw1')).status, 401);
            const ok = await login(srv, 'bob', USER_PASSWORD);
            assert.equal(ok.status, 200, ok.text);
            assert.deepEqual(await rolesOf(srv, ok), ['tester']);
            assert.equal(bindsOf(dir, 'bob'), binds, 'no bind as bob reached the directory');
        });

        test('ldap-1.10 opsledger directory check shows what a login would find, and changes nothing', () => {
            const flags = ['--ldap_url', dir.url, '--ldap_bind_dn', SVC_DN, '--ldap_bind_password_file',
                dir.svcPasswordFile, '--ldap_base_dn', BASE, '--ldap_role_map', ROLE_MAP];
            const users = column(srv, 'SELECT count(*) FROM users');
            const ok = cliResult(['directory', 'check', 'alice', ...flags]);
            assert.equal(ok.status, 0, ok.stderr);
            assert.match(ok.stdout, /^dn: uid=alice,ou=people,dc=example,dc=com$/m);
            assert.match(ok.stdout, /^group: cn=devs,ou=groups,dc=example,dc=com$/m);
            assert.match(ok.stdout, /^role: developer$/m);
            const pw = cliResult(['directory', 'check', 'alice', ...flags], { env: { OPSLEDGER_LDAP_TEST_PASSWORD: 'alice-Dir-pw1' } });
            assert.match(pw.stdout, /^password: accepted by the directory$/m);
            const wrong = cliResult(['directory', 'check', 'alice', ...flags], { env: { OPSLEDGER_LDAP_TEST_PASSWORD: 'nope' } });
            assert.equal(wrong.status, 1);
            assert.match(wrong.stderr, /alice: wrong password/);
            const conflict = cliResult(['directory', 'check', 'carol', ...flags]);
            assert.equal(conflict.status, 1);
            assert.match(conflict.stderr, /carol would be refused: the roles .* are incompatible \(S6\)/);
            const bad = cliResult(['directory', 'check', 'alice', ...flags.slice(0, -1), 'cn=x=no_such_role']);
            assert.equal(bad.status, 2);
            assert.match(bad.stderr, /ldap_role_map: 'no_such_role' is not a role of opsledger/);
            assert.deepEqual(column(srv, 'SELECT count(*) FROM users'), users);
        });

        test('ldap-1.11 groups found by ldap_group_filter (member=%s) instead of memberOf', async () => {
            const other = await startServer({
                backend,
                args: ['--ldap_url', dir.url, '--ldap_bind_dn', SVC_DN, '--ldap_bind_password_file',
                    dir.svcPasswordFile, '--ldap_base_dn', BASE, '--ldap_role_map', ROLE_MAP,
                    '--ldap_group_filter', '(&(objectClass=groupOfNames)(member=%s))'],
            });
            try {
                const res = await login(other, 'bob', 'bob-Dir-pw1');
                assert.equal(res.status, 200, res.text);
                assert.deepEqual(await rolesOf(other, res), ['developer']);
                assert.match(dir.log(), /filter="\(&\(objectClass=groupOfNames\)\(member=uid=bob,ou=people,dc=example,dc=com\)\)"/);
            } finally {
                await other.stop();
            }
        });

        test('ldap-1.9 directory down: a clear 503 for directory users, local administrators still log in', async () => {
            await dir.stop();
            const res = await login(srv, 'alice', 'alice-Dir-pw1');
            assert.equal(res.status, 503, res.text);
            assert.match(res.json.detail, /directory server \(LDAP\) cannot be reached/);
            assert.match(auditOf(srv, 'alice').at(-1), /^auth\.login\|denied\|.*"source":"ldap"/);
            assert.equal((await login(srv, 'admin', ADMIN_PASSWORD)).status, 200);
            // alice's roles are kept as last synced; her existing sessions are not affected.
            assert.deepEqual(column(srv, "SELECT role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'alice'"), ['developer']);
        });
    });
}

// Passwords cross the network only inside TLS: ldaps:// and StartTLS, the server's certificate
// checked against ldap_ca_file. (SQLite only: nothing here depends on the database.)
describe('ldap over TLS', { skip }, () => {
    let dir;
    before(async () => {
        dir = await startSlapd({ people: PEOPLE, groups: GROUPS, tls: true });
    });
    after(async () => {
        await dir?.stop();
    });
    const common = () => ['--ldap_bind_dn', SVC_DN, '--ldap_bind_password_file', dir.svcPasswordFile,
        '--ldap_base_dn', BASE, '--ldap_role_map', ROLE_MAP, '--ldap_timeout', '3'];

    for (const [name, extra] of [
        ['ldaps://', () => ['--ldap_url', dir.ldapsUrl]],
        ['StartTLS', () => ['--ldap_url', dir.url, '--ldap_starttls', 'on']],
    ]) {
        test(`ldap-3 ${name}: logs in with ldap_ca_file, and refuses (503) a server it cannot verify`, async () => {
            const good = await startServer({ args: [...extra(), ...common(), '--ldap_ca_file', dir.caFile] });
            try {
                const res = await login(good, 'alice', 'alice-Dir-pw1');
                assert.equal(res.status, 200, res.text);
                assert.deepEqual(await rolesOf(good, res), ['ops_engineer']);
            } finally {
                await good.stop();
            }
            const otherCa = path.join(dir.dir, 'db', 'unrelated.crt');
            execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-keyout', `${otherCa}.key`, '-out', otherCa, '-days', '2', '-subj', '/CN=other'], { stdio: 'ignore' });
            const bad = await startServer({ args: [...extra(), ...common(), '--ldap_ca_file', otherCa] });
            try {
                const res = await login(bad, 'alice', 'alice-Dir-pw1');
                assert.equal(res.status, 503, res.text);
                assert.match(bad.stderr(), /directory login of 'alice': .*TLS certificate is not trusted \(ldap_ca_file\)/);
            } finally {
                await bad.stop();
            }
        });
    }
});
