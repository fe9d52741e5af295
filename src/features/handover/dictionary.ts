// What each table and column means, taken from the `///` comments of prisma/schema.prisma, so the
// handover's document is written from the schema and never drifts from it. (Prisma's runtime data
// model leaves those comments out, and its DMMF reader is not a runtime package: this reads the
// few lines it needs.) tests/handover/dictionary.test.ts fails when a table or column has none.
import { readFileSync } from 'node:fs';
import { schemaPath } from '../../db/migrator.js';

export interface TableDescription {
  description: string;
  columns: Map<string, string>;
}

export type Dictionary = Map<string, TableDescription>;

const MODEL_START = /^model\s+(\w+)\s*\{/;
const FIELD = /^(\w+)\s+(\w+)(\[\])?\??(.*)$/;
const MAPPED = /@map\("([^"]+)"\)/;
const TABLE_MAP = /^@@map\("([^"]+)"\)/;

interface ParsedModel {
  name: string;
  table: string;
  description: string;
  fields: { name: string; type: string; column: string; description: string; relation: boolean }[];
}

/** The descriptions of every table and column, by their names in the database. */
export function readDictionary(schema = readFileSync(schemaPath, 'utf8')): Dictionary {
  const models = parseModels(schema);
  const modelNames = new Set(models.map((model) => model.name));
  const dictionary: Dictionary = new Map();
  for (const model of models) {
    const columns = new Map<string, string>();
    for (const field of model.fields) if (!field.relation && !modelNames.has(field.type)) columns.set(field.column, field.description);
    dictionary.set(model.table, { description: model.description, columns });
  }
  return dictionary;
}

function parseModels(schema: string): ParsedModel[] {
  const models: ParsedModel[] = [];
  let doc: string[] = [];
  let model: ParsedModel | undefined;
  for (const raw of schema.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('///')) {
      doc.push(line.slice(3).trim());
      continue;
    }
    const description = doc.join(' ');
    doc = [];
    if (!model) {
      const start = MODEL_START.exec(line);
      if (start) models.push((model = { name: start[1], table: start[1], description, fields: [] }));
      continue;
    }
    if (line === '}') model = undefined;
    else if (TABLE_MAP.test(line)) model.table = TABLE_MAP.exec(line)![1];
    else if (!line.startsWith('@@') && !line.startsWith('//')) {
      const field = FIELD.exec(line);
      if (field) model.fields.push({ name: field[1], type: field[2], column: MAPPED.exec(field[4])?.[1] ?? field[1], description, relation: field[4].includes('@relation') });
    }
  }
  return models;
}
