/**
 * The metering service plug-in: labels and label rules. It publishes their creation and deletion,
 * which the agent notifier tells the metering agents (counters are the metering agent's, issue 14).
 */
import { meteringExtensions, meteringLabelResource, meteringLabelRuleResource } from '../../api/resources/metering.js';
import type { ServiceDeps } from '../../app.js';
import type { ServicePlugin } from '../plugin-api.js';
import { MeteringLabelOps } from './label-ops.js';
import { MeteringLabelRuleOps } from './rule-ops.js';
import './metering-repo.js';

declare module '../events.js' {
  interface EventMap {
    metering_label: { after_create: AfterCreate; after_delete: AfterDelete };
    metering_label_rule: { after_create: AfterCreate; after_delete: AfterDelete };
  }
}

export function meteringPlugin({ database, events }: ServiceDeps): ServicePlugin {
  events.declare('metering_label', ['after_create', 'after_delete']);
  events.declare('metering_label_rule', ['after_create', 'after_delete']);
  const labels = new MeteringLabelOps(database, events);
  const rules = new MeteringLabelRuleOps(database, events);
  return {
    resources: [meteringLabelResource(), meteringLabelRuleResource()],
    extensions: meteringExtensions(),
    collections: () => ({ metering_labels: labels, metering_label_rules: rules }),
  };
}
