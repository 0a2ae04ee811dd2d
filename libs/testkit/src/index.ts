export { fixturesDir, fixturePath, listFlvFixtures } from './fixtures.js';
