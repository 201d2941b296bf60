/**
 * Chooses and runs the type driver for a network's segment: the provider request when the client
 * gave one, else the first project network type with a free segment (`tenant_network_types`).
 */
import { InvalidInput, NoNetworkAvailable } from '../../core/errors.js';
import type { Config } from '../../config/config.js';
import type { Executor } from '../../db/schema.js';
import type { Segment, SegmentRequest, TypeDriver } from './driver-api.js';
import { FlatTypeDriver } from './drivers/type-flat.js';
import { LocalTypeDriver } from './drivers/type-local.js';
import { VlanTypeDriver } from './drivers/type-vlan.js';
import { VxlanTypeDriver } from './drivers/type-vxlan.js';

export class TypeManager {
  private readonly drivers = new Map<string, TypeDriver>();

  constructor(private readonly config: Config) {
    const physMtu = config.DEFAULT.global_physnet_mtu;
    const tunnelMtu = config.ml2.path_mtu > 0 ? Math.min(config.ml2.path_mtu, physMtu) : physMtu;
    const all: TypeDriver[] = [
      new LocalTypeDriver(physMtu),
      new FlatTypeDriver(config.ml2_type_flat.flat_networks, physMtu),
      new VlanTypeDriver(config.ml2_type_vlan.network_vlan_ranges, physMtu),
      new VxlanTypeDriver(config.ml2_type_vxlan.vni_ranges, tunnelMtu),
    ];
    for (const d of all) if (config.ml2.type_drivers.includes(d.type)) this.drivers.set(d.type, d);
    for (const t of config.ml2.tenant_network_types)
      if (!this.drivers.has(t)) throw new Error(`[ml2] tenant_network_types names '${t}', which is not in type_drivers`);
  }

  /** Checks a provider request before any database work. */
  validate(req: SegmentRequest): void {
    this.driver(req.network_type).validateProviderSegment(req);
  }

  async allocate(trx: Executor, networkId: string, req: SegmentRequest | undefined): Promise<Segment> {
    if (req) return this.driver(req.network_type).reserveProviderSegment(trx, req, networkId);
    for (const t of this.config.ml2.tenant_network_types) {
      const seg = await this.driver(t).allocateProjectSegment(trx, networkId);
      if (seg) return seg;
    }
    throw new NoNetworkAvailable();
  }

  mtu(seg: Segment): number {
    return this.driver(seg.network_type).mtu(seg);
  }

  private driver(type: string): TypeDriver {
    const d = this.drivers.get(type);
    if (!d) throw new InvalidInput({ error_message: `network_type value '${type}' not supported` });
    return d;
  }
}
