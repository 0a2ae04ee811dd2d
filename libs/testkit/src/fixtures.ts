import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The shared fixtures folder (`../shared/fixtures` from the project root); never copied into the repo. */
export const fixturesDir = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/fixtures');

export function fixturePath(name: string): string {
  const p = path.join(fixturesDir, name);
  if (!existsSync(p)) throw new Error(`fixture ${name} not found in ${fixturesDir}`);
  return p;
}

/** Every `.flv` fixture, sorted by name. */
export function listFlvFixtures(): string[] {
  return readdirSync(fixturesDir).filter((f) => f.endsWith('.flv')).sort();
}
