import { join } from 'node:path';
import { plan } from '../src/commands';
import { tempDir, writeMigrations } from './helpers/db';

test('the engine plans from files alone, splitting with the Postgres parser', async () => {
  const dir = writeMigrations(join(tempDir(), 'm'), { '2_a.sql': "-- migrate:up\nSELECT 'a;b'; SELECT $$;$$;\n" });
  const p = await plan({ dir }, { direction: 'up' });
  expect(p.steps).toHaveLength(1);
  expect(p.steps[0].statements.map((s) => s.sql)).toEqual(["SELECT 'a;b'", 'SELECT $$;$$']);
  expect(p.databaseChecked).toBe(false);
});
