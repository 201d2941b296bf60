/** The local type driver: a network that never leaves its host; no segment to allocate. */
import { InvalidInput } from '../../../core/errors.js';
import type { Segment, SegmentRequest, TypeDriver } from '../driver-api.js';

export class LocalTypeDriver implements TypeDriver {
  readonly type = 'local';

  constructor(private readonly physnetMtu: number) {}

  validateProviderSegment(req: SegmentRequest): void {
    if (req.physical_network) throw new InvalidInput({ error_message: 'provider:physical_network specified for local network' });
    if (req.segmentation_id !== undefined && req.segmentation_id !== null)
      throw new InvalidInput({ error_message: 'segmentation_id specified for local network' });
  }

  async reserveProviderSegment(): Promise<Segment> {
    return { network_type: this.type, physical_network: null, segmentation_id: null };
  }

  async allocateProjectSegment(): Promise<Segment | undefined> {
    return { network_type: this.type, physical_network: null, segmentation_id: null };
  }

  mtu(): number {
    return this.physnetMtu;
  }
}
