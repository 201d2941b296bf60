/** Rows of metering labels and rules (tables of migration 0005). */
export interface MeteringLabelRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  shared: number | boolean;
}

export interface MeteringLabelRuleRow {
  id: string;
  metering_label_id: string;
  direction: string;
  excluded: number | boolean;
  remote_ip_prefix: string | null;
  source_ip_prefix: string | null;
  destination_ip_prefix: string | null;
}

declare module '../../db/schema.js' {
  interface Schema {
    metering_labels: MeteringLabelRow;
    metering_label_rules: MeteringLabelRuleRow;
  }
}
