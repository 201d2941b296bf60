import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.js';
import { parseDatabaseUrl } from '../db/database.js';

describe('config', () => {
  it('has defaults for the all-in-one start', () => {
    const c = loadConfig([], {});
    assert.equal(c.DEFAULT.bind_host, '127.0.0.1');
    assert.equal(c.DEFAULT.bind_port, 9696);
    assert.equal(c.DEFAULT.auth_strategy, 'noauth');
    assert.equal(c.database.connection, 'sqlite:///state/nucleon.sqlite');
    assert.deepEqual(c.ml2.tenant_network_types, ['vxlan']);
  });

  it('reads Neutron-style INI files, later files and the environment winning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-config-'));
    const a = path.join(dir, 'a.conf');
    const b = path.join(dir, 'b.ini');
    fs.writeFileSync(a, '[DEFAULT]\nbind_port = 9797\nglobal_physnet_mtu = 9000\nsome_unknown_option = x\n[database]\nconnection = mysql+pymysql://u:p@db:3306/neutron\n[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:100:200, physnet2\n');
    fs.writeFileSync(b, '[DEFAULT]\nbind_port = 9898\n[oslo_concurrency]\nlock_path = /tmp\n');
    const c = loadConfig([a, b], { NUCLEON_DEFAULT__GLOBAL_PHYSNET_MTU: '1400' });
    assert.equal(c.DEFAULT.bind_port, 9898);
    assert.equal(c.DEFAULT.global_physnet_mtu, 1400);
    assert.equal(c.database.connection, 'mysql+pymysql://u:p@db:3306/neutron');
    assert.deepEqual(c.ml2_type_vlan.network_vlan_ranges, ['physnet1:100:200', 'physnet2']);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses a bad value with the option name', () => {
    assert.throws(() => loadConfig([], { NUCLEON_DEFAULT__BIND_PORT: 'abc' }), /\[DEFAULT\] bind_port: 'abc' is not an integer/);
    assert.throws(() => loadConfig(['/nonexistent/nucleon.conf'], {}), /cannot read config file/);
  });

  it("parses Neutron's database URL forms", () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:////var/lib/nucleon/db.sqlite'), { scheme: 'sqlite', database: '/var/lib/nucleon/db.sqlite', params: {} });
    assert.equal(parseDatabaseUrl('sqlite:///rel/db.sqlite').database, 'rel/db.sqlite');
    assert.equal(parseDatabaseUrl('sqlite://').database, ':memory:');
    const my = parseDatabaseUrl('mysql+pymysql://neutron:s%40cret@127.0.0.1:3306/neutron?charset=utf8');
    assert.deepEqual([my.scheme, my.user, my.password, my.host, my.port, my.database, my.params.charset], ['mysql', 'neutron', 's@cret', '127.0.0.1', 3306, 'neutron', 'utf8']);
    const pgUrl = parseDatabaseUrl('postgresql+psycopg2://neutron@db.example/neutron');
    assert.deepEqual([pgUrl.scheme, pgUrl.host, pgUrl.port, pgUrl.database], ['postgresql', 'db.example', undefined, 'neutron']);
    assert.throws(() => parseDatabaseUrl('oracle://x/y'), /unsupported database/);
    assert.throws(() => parseDatabaseUrl('nonsense'), /invalid \[database\] connection URL/);
  });
});
