/** The metering service plug-in: labels and label rules (the API only; no agent, no counters). */
import { meteringExtensions, meteringLabelResource, meteringLabelRuleResource } from '../../api/resources/metering.js';
import type { ServiceDeps } from '../../app.js';
import type { ServicePlugin } from '../plugin-api.js';
import { MeteringLabelOps } from './label-ops.js';
import { MeteringLabelRuleOps } from './rule-ops.js';
import './metering-repo.js';

export function meteringPlugin({ database }: ServiceDeps): ServicePlugin {
  const labels = new MeteringLabelOps(database);
  const rules = new MeteringLabelRuleOps(database);
  return {
    resources: [meteringLabelResource(), meteringLabelRuleResource()],
    extensions: meteringExtensions(),
    collections: () => ({ metering_labels: labels, metering_label_rules: rules }),
  };
}
