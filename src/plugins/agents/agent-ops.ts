/**
 * Agents: created and refreshed by their heartbeats (`report_state`), listed, shown, updated
 * (`admin_state_up`, `description`) and deleted by admins. Who may read or change them is the
 * policy's (`get_agent`, `update_agent`, `delete_agent`: admin only by default); `alive` is
 * computed from the last heartbeat and `[DEFAULT] agent_down_time`.
 */
import { newId, type RequestContext } from '../../core/context.js';
import { AgentNotFound, HTTPBadRequest } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { ListQuery, ListSpec } from '../../db/repos/listing.js';
import { bool, type Executor } from '../../db/schema.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { agentStamp, isDown, liveSince, type AgentRow } from './agents-repo.js';
import type { AgentState, AgentStatus } from '../../rpc/apis/reports-api.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at', 'heartbeat_timestamp', 'description', 'availability_zone'].map((c) => [c, c]),
);

/** What an agent says of itself in each heartbeat (Neutron's `agent_state`). */
/** What agents say of themselves and what the server answers: declared once, with the RPC interface (reports-api.ts). */
export type { AgentState, AgentStatus } from '../../rpc/apis/reports-api.js';

export interface AgentReport {
  status: AgentStatus;
  agent: AgentRow;
}

export class AgentOps implements ResourcePlugin {
  constructor(
    private readonly database: Database,
    private readonly opts: { agentDownTime: number; enableNewAgents: boolean; dhcpLoadType?: string },
  ) {}

  render(r: AgentRow): Resource {
    return {
      id: r.id,
      agent_type: r.agent_type,
      binary: r.binary,
      topic: r.topic,
      host: r.host,
      admin_state_up: bool(r.admin_state_up),
      created_at: r.created_at,
      started_at: r.started_at,
      heartbeat_timestamp: r.heartbeat_timestamp,
      description: r.description,
      resources_synced: r.resources_synced === null ? null : bool(r.resources_synced),
      availability_zone: r.availability_zone,
      alive: this.isAlive(r),
      configurations: JSON.parse(r.configurations || '{}'),
    };
  }

  isAlive(r: Pick<AgentRow, 'heartbeat_timestamp'>, now = Date.now()): boolean {
    return !isDown(r.heartbeat_timestamp, this.opts.agentDownTime, now);
  }

  /** The oldest heartbeat an agent may have and still count as alive. */
  aliveCutoff(seconds = this.opts.agentDownTime): string {
    return liveSince(seconds);
  }

  async create(): Promise<Resource[]> {
    // Neutron's answer: agents exist only through their heartbeats
    throw new HTTPBadRequest({ msg: "Unrecognized attribute(s) 'project_id, tenant_id'" });
  }

  async row(trx: Executor, id: string): Promise<AgentRow> {
    const row = await trx.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AgentNotFound({ id });
    return row;
  }

  async get(_ctx: RequestContext, id: string): Promise<Resource> {
    return this.render(await this.row(this.database.db, id));
  }

  async list(_ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.database.db;
    const spec: ListSpec = {
      table: 'agents',
      columns: { ...COLUMNS, alive: 'heartbeat_timestamp' },
      booleans: new Set(['admin_state_up']),
      markerNotFound: (id) => new AgentNotFound({ id }),
      special: {
        alive: (eb, values) => {
          const cutoff = this.aliveCutoff();
          return eb.or(values.map((v) => (v ? eb('agents.heartbeat_timestamp', '>=', cutoff) : eb('agents.heartbeat_timestamp', '<', cutoff))));
        },
      },
    };
    return listPages<AgentRow>(db, spec, q, async (rows) => rows.map((r) => this.render(r)));
  }

  async update(_ctx: RequestContext, id: string, changes: Resource): Promise<Resource> {
    return this.database.transaction(async (trx) => {
      await this.row(trx, id);
      const set: Partial<AgentRow> = {};
      if ('admin_state_up' in changes) set.admin_state_up = changes.admin_state_up ? 1 : 0;
      if ('description' in changes) set.description = changes.description as string | null;
      if (Object.keys(set).length) await trx.updateTable('agents').set(set).where('id', '=', id).execute();
      return this.render(await this.row(trx, id));
    });
  }

  async delete(_ctx: RequestContext, id: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      await this.row(trx, id);
      await trx.deleteFrom('agents').where('id', '=', id).execute();
    });
  }

  /**
   * A heartbeat: registers the agent (type, host) or refreshes it, inside the caller's transaction.
   * Two servers registering the same new agent at once collide on (agent_type, host): the loser's
   * transaction retries and finds the row.
   */
  async report(trx: Executor, state: AgentState): Promise<AgentReport> {
    const now = agentStamp();
    const values = {
      agent_type: state.agent_type,
      binary: state.binary,
      topic: state.topic,
      host: state.host,
      configurations: JSON.stringify(state.configurations ?? {}),
      load: this.loadOf(state),
      heartbeat_timestamp: now,
      ...('availability_zone' in state ? { availability_zone: state.availability_zone ?? null } : {}),
      ...(state.resource_versions ? { resource_versions: JSON.stringify(state.resource_versions) } : {}),
    };
    const old = await trx.selectFrom('agents').selectAll().where('agent_type', '=', state.agent_type).where('host', '=', state.host).executeTakeFirst();
    if (!old) {
      const row: AgentRow = {
        id: newId(),
        availability_zone: null,
        description: null,
        resource_versions: null,
        resources_synced: null,
        ...values,
        admin_state_up: this.opts.enableNewAgents ? 1 : 0,
        created_at: now,
        started_at: now,
      };
      await trx.insertInto('agents').values(row).execute();
      return { status: 'new', agent: row };
    }
    const status: AgentStatus = this.isAlive(old) ? 'alive' : 'revived';
    const set = { ...values, ...(state.start_flag ? { started_at: now } : {}) };
    await trx.updateTable('agents').set(set).where('id', '=', old.id).execute();
    return { status, agent: { ...old, ...set } };
  }

  /** Neutron's `dhcp_load_type`: a DHCP agent's load is the number of networks it reports. */
  private loadOf(state: AgentState): number {
    if (state.agent_type !== 'DHCP agent') return 0;
    const n = Number(state.configurations?.[this.opts.dhcpLoadType ?? 'networks'] ?? 0);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  }

  /** `/v2.0/availability_zones`: the zones of DHCP agents (resource `network`) and L3 agents (`router`). */
  async availabilityZones(trx: Executor): Promise<Resource[]> {
    const rows = await trx
      .selectFrom('agents')
      .select(['availability_zone', 'agent_type', 'admin_state_up'])
      .where('agent_type', 'in', ['DHCP agent', 'L3 agent'])
      .where('availability_zone', 'is not', null)
      .execute();
    const zones = new Map<string, Resource>();
    for (const r of rows) {
      if (!r.availability_zone) continue;
      const resource = r.agent_type === 'DHCP agent' ? 'network' : 'router';
      const key = `${r.availability_zone}\u0000${resource}`;
      const available = bool(r.admin_state_up) || zones.get(key)?.state === 'available';
      zones.set(key, { state: available ? 'available' : 'unavailable', name: r.availability_zone, resource });
    }
    return [...zones.values()];
  }
}
