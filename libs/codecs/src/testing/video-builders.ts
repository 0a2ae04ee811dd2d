/** Builders for video configuration records and headers, by hand from the specs (tests only). */
export * from './h26x-builders.js';
export * from './av1-vp-builders.js';
