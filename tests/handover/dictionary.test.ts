// The handover's README says what every table and column means, written from the schema's ///
// comments: a table or column added without one fails here, before a handover goes out without it.
import { beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/features/handover/catalog.js';
import { readDictionary } from '../../src/features/handover/dictionary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(2);
});

describe('handover data dictionary', () => {
  it('When the database is migrated, then every table and every column it has is described in prisma/schema.prisma', async () => {
    const dictionary = readDictionary();
    const missing: string[] = [];
    for (const table of await readCatalog(db)) {
      const described = dictionary.get(table.name);
      if (!described?.description) missing.push(table.name);
      for (const column of table.columns) if (!described?.columns.get(column.name)) missing.push(`${table.name}.${column.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('When a model or a field has no /// comment, then the dictionary has no description for it', () => {
    const dictionary = readDictionary(`
/// 窓口
model Counter {
  /// 番号
  id    Int    @id
  name  String @map("display_name") // not a description
  slots Slot[]
  @@map("counters")
}
model Slot {
  id Int @id
}`);
    expect(dictionary.get('counters')).toEqual({
      description: '窓口',
      columns: new Map([
        ['id', '番号'],
        ['display_name', ''],
      ]),
    });
    expect(dictionary.get('Slot')).toEqual({ description: '', columns: new Map([['id', '']]) });
  });
});
