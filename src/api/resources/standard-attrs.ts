/** Attributes every standard-attribute resource has (description, tags, timestamps, revision), and the project owner. */
import { attr, type AttributeMap } from './attributes.js';
import { isString, toInt } from './validators.js';

export const ownerAttributes = (): AttributeMap => ({
  tenant_id: attr({ allowPost: true, validate: isString(255), isFilter: true, isSortKey: true }),
  project_id: attr({ allowPost: true, validate: isString(255), isFilter: true, isSortKey: true }),
});

export const standardAttributes = (): AttributeMap => ({
  description: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true }),
  tags: attr({ isFilter: true }),
  created_at: attr({ isFilter: true, isSortKey: true }),
  updated_at: attr({ isFilter: true, isSortKey: true }),
  revision_number: attr({ isFilter: true, isSortKey: true, convert: toInt }),
});
