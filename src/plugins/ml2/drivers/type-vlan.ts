/** The vlan type driver: VLAN ids per physical network from `[ml2_type_vlan] network_vlan_ranges`. */
import { InvalidInput, NoNetworkAvailable, VlanIdInUse } from '../../../core/errors.js';
import { allocateFromRanges, insertSegmentAllocation, isSegmentTaken } from '../../../db/repos/segment-repo.js';
import type { Segment, SegmentRequest, TypeDriver } from '../driver-api.js';
import type { Executor } from '../../../db/schema.js';
import { parsePhysnetRanges } from './type-ranges.js';

export class VlanTypeDriver implements TypeDriver {
  readonly type = 'vlan';
  private readonly ranges: Map<string, Array<[number, number]>>;

  constructor(networkVlanRanges: string[], private readonly physnetMtu: number) {
    this.ranges = parsePhysnetRanges(networkVlanRanges, 'vlan', 1, 4094);
  }

  validateProviderSegment(req: SegmentRequest): void {
    const id = req.segmentation_id;
    if (req.physical_network) {
      if (!this.ranges.has(req.physical_network))
        throw new InvalidInput({ error_message: `physical_network '${req.physical_network}' unknown for VLAN provider network` });
    } else if (id !== undefined && id !== null) {
      throw new InvalidInput({ error_message: 'segmentation_id requires physical_network for VLAN provider network' });
    }
    if (id !== undefined && id !== null && (id < 1 || id > 4094))
      throw new InvalidInput({ error_message: 'segmentation_id out of range (1 through 4094)' });
  }

  async reserveProviderSegment(trx: Executor, req: SegmentRequest, networkId: string): Promise<Segment> {
    const physnet = req.physical_network ?? null;
    const id = req.segmentation_id ?? null;
    if (physnet !== null && id !== null) {
      if (await isSegmentTaken(trx, this.type, physnet, id)) throw new VlanIdInUse({ vlan_id: id, physical_network: physnet });
      await insertSegmentAllocation(trx, this.type, physnet, id, networkId);
      return { network_type: this.type, physical_network: physnet, segmentation_id: id };
    }
    const seg = await this.allocate(trx, networkId, physnet === null ? [...this.ranges.keys()] : [physnet]);
    if (!seg) throw new NoNetworkAvailable();
    return seg;
  }

  allocateProjectSegment(trx: Executor, networkId: string): Promise<Segment | undefined> {
    return this.allocate(trx, networkId, [...this.ranges.keys()]);
  }

  private async allocate(trx: Executor, networkId: string, physnets: string[]): Promise<Segment | undefined> {
    for (const physnet of physnets) {
      const id = await allocateFromRanges(trx, this.type, physnet, this.ranges.get(physnet) ?? [], networkId);
      if (id !== undefined) return { network_type: this.type, physical_network: physnet, segmentation_id: id };
    }
    return undefined;
  }

  mtu(): number {
    return this.physnetMtu;
  }
}
