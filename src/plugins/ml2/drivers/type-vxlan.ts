/** The vxlan type driver: VNIs from `[ml2_type_vxlan] vni_ranges`, MTU less the VXLAN/IPv4 overhead. */
import { InvalidInput, NoNetworkAvailable, TunnelIdInUse } from '../../../core/errors.js';
import { allocateFromRanges, insertSegmentAllocation, isSegmentTaken } from '../../../db/repos/segment-repo.js';
import type { TypeDriver } from '../driver-api.js';
import { parseRanges } from './type-ranges.js';

export const MAX_VNI = 2 ** 24 - 1;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;

export class VxlanTypeDriver implements TypeDriver {
  readonly type = 'vxlan';
  private readonly ranges: Array<[number, number]>;

  constructor(vniRanges: string[], private readonly underlayMtu: number) {
    this.ranges = parseRanges(vniRanges, 'vni', 1, MAX_VNI);
  }

  validateProviderSegment(req: Parameters<TypeDriver['validateProviderSegment']>[0]): void {
    if (req.physical_network) throw new InvalidInput({ error_message: 'provider:physical_network specified for VXLAN network' });
    const id = req.segmentation_id;
    if (id !== undefined && id !== null && (id < 1 || id > MAX_VNI))
      throw new InvalidInput({ error_message: `segmentation_id out of range (1 through ${MAX_VNI})` });
  }

  async reserveProviderSegment(trx: Parameters<TypeDriver['reserveProviderSegment']>[0], req: Parameters<TypeDriver['reserveProviderSegment']>[1], networkId: string) {
    if (req.segmentation_id === undefined || req.segmentation_id === null) {
      const seg = await this.allocateProjectSegment(trx, networkId);
      if (!seg) throw new NoNetworkAvailable();
      return seg;
    }
    if (await isSegmentTaken(trx, this.type, null, req.segmentation_id)) throw new TunnelIdInUse({ tunnel_id: req.segmentation_id });
    await insertSegmentAllocation(trx, this.type, null, req.segmentation_id, networkId);
    return { network_type: this.type, physical_network: null, segmentation_id: req.segmentation_id };
  }

  async allocateProjectSegment(trx: Parameters<TypeDriver['allocateProjectSegment']>[0], networkId: string) {
    const id = await allocateFromRanges(trx, this.type, null, this.ranges, networkId);
    return id === undefined ? undefined : { network_type: this.type, physical_network: null, segmentation_id: id };
  }

  mtu(): number {
    return this.underlayMtu - VXLAN_OVERHEAD;
  }
}
