/**
 * Writes src/schema/routes.schema.json (published as `@alternatefutures/routing-core/schema.json`)
 * from `createRoutesJsonSchema()`: `npm run build:schema`. test/schema-routes.test.ts fails
 * when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { createRoutesJsonSchema } from './routes.js';

const file = new URL('./routes.schema.json', import.meta.url);
writeFileSync(file, JSON.stringify(createRoutesJsonSchema(), null, 2) + '\n');
console.log(`wrote ${file.pathname}`);
