/**
 * The type driver contract (src/plugins/ml2/type-driver.contract.ts) for local, flat, vlan and
 * vxlan, each configured with small ranges so that exhaustion is reached, on every database (one
 * fresh database per dialect, shared by the four drivers, whose allocations never overlap).
 */
import { after, before, describe } from 'node:test';
import { Database } from '../src/db/database.js';
import { FlatTypeDriver } from '../src/plugins/ml2/drivers/type-flat.js';
import { LocalTypeDriver } from '../src/plugins/ml2/drivers/type-local.js';
import { VlanTypeDriver } from '../src/plugins/ml2/drivers/type-vlan.js';
import { MAX_VNI, VxlanTypeDriver } from '../src/plugins/ml2/drivers/type-vxlan.js';
import { typeDriverContract, type TypeDriverHarness } from '../src/plugins/ml2/type-driver.contract.js';
import { DIALECTS, skipReason, type TestDatabase } from './helpers/dialects.js';

type Harness = Omit<TypeDriverHarness, 'database' | 'skip'>;
const HARNESSES: Harness[] = [
  {
    name: 'local',
    driver: new LocalTypeDriver(1500),
    invalid: [
      { network_type: 'local', physical_network: 'physnet1' },
      { network_type: 'local', segmentation_id: 5 },
    ],
    whole: [{ network_type: 'local' }],
    partial: [],
    pool: 'unlimited',
    mtu: 1500,
  },
  {
    name: 'flat',
    driver: new FlatTypeDriver(['physnet1', 'physnet2'], 9000),
    invalid: [
      { network_type: 'flat' },
      { network_type: 'flat', physical_network: 'physnet1', segmentation_id: 3 },
      { network_type: 'flat', physical_network: 'elsewhere' },
    ],
    whole: [
      { network_type: 'flat', physical_network: 'physnet1' },
      { network_type: 'flat', physical_network: 'physnet2' },
    ],
    conflict: 'FlatNetworkInUse',
    partial: [],
    pool: [],
    mtu: 9000,
  },
  {
    name: 'vlan',
    // physnet3 has no range: provider networks only
    driver: new VlanTypeDriver(['physnet1:10:11', 'physnet2:20:20', 'physnet3'], 1500),
    invalid: [
      { network_type: 'vlan', physical_network: 'elsewhere' },
      { network_type: 'vlan', segmentation_id: 10 },
      { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 0 },
      { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 4095 },
    ],
    whole: [
      { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 10 },
      { network_type: 'vlan', physical_network: 'physnet3', segmentation_id: 4094 },
    ],
    conflict: 'VlanIdInUse',
    partial: [{ network_type: 'vlan' }, { network_type: 'vlan', physical_network: 'physnet2' }],
    pool: [
      { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 10 },
      { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 11 },
      { network_type: 'vlan', physical_network: 'physnet2', segmentation_id: 20 },
    ],
    mtu: 1500,
  },
  {
    name: 'vxlan',
    driver: new VxlanTypeDriver(['100:102'], 1500),
    invalid: [
      { network_type: 'vxlan', physical_network: 'physnet1' },
      { network_type: 'vxlan', segmentation_id: 0 },
      { network_type: 'vxlan', segmentation_id: MAX_VNI + 1 },
    ],
    whole: [
      { network_type: 'vxlan', segmentation_id: 101 },
      { network_type: 'vxlan', segmentation_id: MAX_VNI },
    ],
    conflict: 'TunnelIdInUse',
    partial: [{ network_type: 'vxlan' }, { network_type: 'vxlan', segmentation_id: null }],
    pool: [100, 101, 102].map((id) => ({ network_type: 'vxlan', physical_network: null, segmentation_id: id })),
    mtu: 1450,
  },
];

for (const dialect of DIALECTS) {
  describe(`type drivers on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    let testDb: TestDatabase | undefined;
    let database: Database | undefined;
    before(async () => {
      testDb = await dialect.create();
      database = new Database(testDb.url);
      await database.migrateToLatest();
    });
    after(async () => {
      await database?.close();
      await testDb?.drop();
    });
    for (const h of HARNESSES) typeDriverContract({ ...h, database: () => database! });
  });
}
