// The example migration set (migrations-example/), as the tests expect to find it.
import { join } from 'node:path';
import { ROOT } from './db';

export const EXAMPLE_DIR = join(ROOT, 'migrations-example');

/** In run order; the file forms are deliberately mixed. */
export const EXAMPLE_MIGRATIONS = [
  { version: '001', name: 'create_organisations_and_users', form: 'dbmate' },
  { version: '002', name: 'create_memberships', form: 'pair' },
  { version: '003', name: 'create_projects', form: 'flyway' },
  { version: '004', name: 'set_updated_at_trigger', form: 'dbmate' },
  { version: '005', name: 'create_tasks', form: 'pair' },
  { version: '006', name: 'create_comments', form: 'flyway' },
  { version: '007', name: 'add_tasks_organisation_id', form: 'dbmate' },
  { version: '008', name: 'backfill_tasks_organisation_id', form: 'dbmate' },
  { version: '009', name: 'enable_row_level_security', form: 'pair' },
  { version: '010', name: 'index_open_tasks_concurrently', form: 'dbmate' },
  { version: '011', name: 'create_labels', form: 'flyway' },
] as const;
