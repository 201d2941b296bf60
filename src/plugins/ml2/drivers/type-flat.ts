/** The flat type driver: one untagged network per physical network in `[ml2_type_flat] flat_networks`. */
import { FlatNetworkInUse, InvalidInput } from '../../../core/errors.js';
import { insertSegmentAllocation, isSegmentTaken } from '../../../db/repos/segment-repo.js';
import type { Segment, SegmentRequest, TypeDriver } from '../driver-api.js';
import type { Executor } from '../../../db/schema.js';

export class FlatTypeDriver implements TypeDriver {
  readonly type = 'flat';

  constructor(private readonly flatNetworks: string[], private readonly physnetMtu: number) {}

  validateProviderSegment(req: SegmentRequest): void {
    if (!req.physical_network) throw new InvalidInput({ error_message: 'physical_network required for flat provider network' });
    if (req.segmentation_id !== undefined && req.segmentation_id !== null)
      throw new InvalidInput({ error_message: 'segmentation_id specified for flat provider network' });
    if (!this.flatNetworks.includes('*') && !this.flatNetworks.includes(req.physical_network))
      throw new InvalidInput({ error_message: `physical_network '${req.physical_network}' unknown for flat provider network` });
  }

  async reserveProviderSegment(trx: Executor, req: SegmentRequest, networkId: string): Promise<Segment> {
    const physnet = req.physical_network as string;
    if (await isSegmentTaken(trx, this.type, physnet, 0)) throw new FlatNetworkInUse({ physical_network: physnet });
    await insertSegmentAllocation(trx, this.type, physnet, 0, networkId);
    return { network_type: this.type, physical_network: physnet, segmentation_id: null };
  }

  async allocateProjectSegment(): Promise<Segment | undefined> {
    return undefined; // flat networks are provider networks only
  }

  mtu(): number {
    return this.physnetMtu;
  }
}
