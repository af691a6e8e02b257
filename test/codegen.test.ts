import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';

describe('generated resolver types', () => {
  it('are what `npm run codegen` makes of the SDL today (run it after changing schema/)', async () => {
    const [output] = await generate({ ...config, silent: true }, false);
    expect(output?.filename).toBe('src/generated/graphql.ts');
    expect(readFileSync('src/generated/graphql.ts', 'utf8'), 'src/generated/graphql.ts is stale: run `npm run codegen`').toBe(output?.content);
  }, 60_000);
});
