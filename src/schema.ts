import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers/index.js';
import { applyMinTier } from './graphql/min-tier.js';

const SCHEMA_DIR = fileURLToPath(new URL('../schema/', import.meta.url));

/** The SDL, one file per domain; `base.graphql` (scalars, roots) first. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => readFileSync(`${dir}/${f}`, 'utf8'));
}

export function buildSchema(): GraphQLSchema {
  return applyMinTier(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers }));
}
