/**
 * Provisioning blocks (Neutron's): a port bound to a host goes ACTIVE only when each entity that
 * sets it up has reported: `L2` when the Linux bridge agent reports its device up, `DHCP` when a
 * DHCP agent that serves its network reports the port ready (dnsmasq has its address). So a VM
 * that boots once its port is ACTIVE (Nova, nucleon-compute) finds its DHCP answer there, instead of
 * asking before dnsmasq knows it. Blocks are added in the port's own transaction; a port whose
 * network no DHCP agent with a datapath serves gets no DHCP block (follow-only agents provision
 * nothing, and a block nobody clears would keep the port DOWN forever).
 */
import type { Executor } from '../../db/schema.js';

export interface ProvisioningBlockRow {
  port_id: string;
  entity: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    provisioning_blocks: ProvisioningBlockRow;
  }
}

export const L2_ENTITY = 'L2';
export const DHCP_ENTITY = 'DHCP';

/** Adds the blocks (those already there stay). */
export async function addBlocks(trx: Executor, portId: string, entities: string[]): Promise<void> {
  if (!entities.length) return;
  const have = new Set((await trx.selectFrom('provisioning_blocks').select('entity').where('port_id', '=', portId).execute()).map((r) => r.entity));
  const rows = entities.filter((e) => !have.has(e)).map((entity) => ({ port_id: portId, entity }));
  if (rows.length) await trx.insertInto('provisioning_blocks').values(rows).execute();
}

/** Clears one entity's block; resolves to whether the port has no block left (it may go ACTIVE). */
export async function clearBlock(trx: Executor, portId: string, entity: string): Promise<boolean> {
  await trx.deleteFrom('provisioning_blocks').where('port_id', '=', portId).where('entity', '=', entity).execute();
  const left = await trx.selectFrom('provisioning_blocks').select('entity').where('port_id', '=', portId).limit(1).execute();
  return left.length === 0;
}
