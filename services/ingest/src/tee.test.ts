import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger } from '@headwater/log';
import type { Logger } from '@headwater/log';
import { Tee, errorSummary } from './tee.js';
import type { EndReason, MediaConsumer, MediaTag } from './tee.js';

/** A real pino logger whose lines land in memory, parsed. */
function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  return {
    logger,
    raw,
    lines: () =>
      raw.flatMap((chunk) => chunk.split('\n').filter((l) => l !== '')).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

interface Recorder extends MediaConsumer {
  readonly tags: MediaTag[];
  readonly ends: EndReason[];
}

/** A consumer that records what it is given; `failOn` makes `tag()` throw for that tag index. */
function recorder(name: string, opts: { failOn?: number; error?: unknown; end?: (reason: EndReason) => Promise<void> } = {}): Recorder {
  const tags: MediaTag[] = [];
  const ends: EndReason[] = [];
  return {
    name,
    tags,
    ends,
    start() {},
    tag(tag) {
      tags.push(tag);
      if (opts.failOn !== undefined && tags.length - 1 >= opts.failOn) throw opts.error ?? new Error(`${name} cannot keep up`);
    },
    async end(reason) {
      ends.push(reason);
      await opts.end?.(reason);
    },
  };
}

function makeTags(n: number): MediaTag[] {
  return Array.from({ length: n }, (_, i) => ({ type: i % 3 === 0 ? 8 : 9, timestampMs: i * 33, body: Uint8Array.of(i & 0xff, 0xaa) }) as MediaTag);
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Tee.push', () => {
  test('every consumer receives every tag, in order, as the same object', () => {
    const { logger, lines } = memoryLogger();
    const consumers = [recorder('a'), recorder('b'), recorder('c')];
    const tee = new Tee(consumers, logger);
    const tags = makeTags(50);
    for (const t of tags) tee.push(t);
    for (const c of consumers) {
      expect(c.tags).toHaveLength(tags.length);
      c.tags.forEach((t, i) => expect(t).toBe(tags[i]));
      expect(c.ends).toEqual([]);
    }
    expect(tee.consumerNames).toEqual(['a', 'b', 'c']);
    expect(lines()).toEqual([]);
  });

  test('the consumer list is copied: later changes to the caller array do not matter', () => {
    const { logger } = memoryLogger();
    const list: MediaConsumer[] = [recorder('a')];
    const tee = new Tee(list, logger);
    list.push(recorder('b'));
    expect(tee.consumerNames).toEqual(['a']);
  });

  test('a consumer whose tag() throws is detached, ended and logged; the others keep receiving', async () => {
    const { logger, lines } = memoryLogger();
    const a = recorder('archive');
    const b = recorder('transcoder', { failOn: 3 });
    const c = recorder('preview');
    const tee = new Tee([a, b, c], logger);
    const tags = makeTags(10);
    for (const t of tags) tee.push(t);
    await flush();

    expect(a.tags).toEqual(tags);
    expect(c.tags).toEqual(tags);
    // Tags 0..2 accepted, the 4th threw: never called again after that.
    expect(b.tags).toEqual(tags.slice(0, 4));
    expect(b.ends).toEqual(['protocol-error']);
    expect(tee.consumerNames).toEqual(['archive', 'preview']);

    const errors = lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ consumer: 'transcoder', msg: 'consumer detached after an error', err: { name: 'Error', message: 'transcoder cannot keep up' } });
  });

  test('neighbouring consumers failing on the same tag are all detached and none after them is skipped', async () => {
    const { logger, lines } = memoryLogger();
    const first = recorder('first', { failOn: 0 });
    const second = recorder('second', { failOn: 0 });
    const third = recorder('third');
    const fourth = recorder('fourth', { failOn: 1 });
    const fifth = recorder('fifth');
    const tee = new Tee([first, second, third, fourth, fifth], logger);
    const tags = makeTags(4);
    for (const t of tags) tee.push(t);
    await flush();

    expect(third.tags).toEqual(tags);
    expect(fifth.tags).toEqual(tags);
    expect(first.tags).toEqual(tags.slice(0, 1));
    expect(second.tags).toEqual(tags.slice(0, 1));
    expect(fourth.tags).toEqual(tags.slice(0, 2));
    expect(tee.consumerNames).toEqual(['third', 'fifth']);
    expect(lines().filter((l) => l.msg === 'consumer detached after an error').map((l) => l.consumer)).toEqual(['first', 'second', 'fourth']);
  });

  test('a detached consumer whose end() rejects or throws synchronously does not disturb the others', async () => {
    const { logger, lines } = memoryLogger();
    const rejecting = recorder('rejecting', { failOn: 0, end: () => Promise.reject(new Error('upload failed')) });
    const throwing: MediaConsumer = {
      name: 'throwing',
      start() {},
      tag() {
        throw new Error('full');
      },
      end() {
        throw new Error('end threw synchronously');
      },
    };
    const healthy = recorder('healthy');
    const tee = new Tee([rejecting, throwing, healthy], logger);
    const tags = makeTags(3);
    for (const t of tags) expect(() => tee.push(t)).not.toThrow();
    await flush();
    expect(healthy.tags).toEqual(tags);
    expect(tee.consumerNames).toEqual(['healthy']);
    expect(lines().filter((l) => l.msg === 'consumer detached after an error').map((l) => l.consumer)).toEqual(['rejecting', 'throwing']);
    const finishing = lines().filter((l) => l.msg === 'consumer failed to finish');
    expect(finishing.map((l) => [l.consumer, (l.err as { message: string }).message]).sort()).toEqual([
      ['rejecting', 'upload failed'],
      ['throwing', 'end threw synchronously'],
    ]);
  });

  test('a non-Error throw is summarised as a string', async () => {
    const { logger, lines } = memoryLogger();
    const tee = new Tee([recorder('odd', { failOn: 0, error: 'plain string' })], logger);
    tee.push(makeTags(1)[0]!);
    await flush();
    expect(lines()[0]).toMatchObject({ consumer: 'odd', err: { name: 'Error', message: 'plain string' } });
  });
});

describe('Tee.end', () => {
  test('waits for every consumer to finish, then ends nobody twice', async () => {
    const { logger } = memoryLogger();
    const gates = [deferred(), deferred(), deferred()];
    const consumers = gates.map((g, i) => recorder(`c${i}`, { end: () => g.promise }));
    const tee = new Tee(consumers, logger);
    tee.push(makeTags(1)[0]!);

    let done = false;
    const ending = tee.end('unpublished').then(() => {
      done = true;
    });
    await flush();
    for (const c of consumers) expect(c.ends).toEqual(['unpublished']);
    gates[2]!.resolve();
    gates[0]!.resolve();
    await flush();
    expect(done).toBe(false);
    gates[1]!.resolve();
    await ending;
    expect(done).toBe(true);

    // Ended consumers are gone: no more tags, no second end.
    expect(tee.consumerNames).toEqual([]);
    tee.push(makeTags(2)[1]!);
    await tee.end('shutdown');
    for (const c of consumers) {
      expect(c.tags).toHaveLength(1);
      expect(c.ends).toEqual(['unpublished']);
    }
  });

  test('a consumer whose end() fails is logged and Tee.end still resolves after the others', async () => {
    const { logger, lines, raw } = memoryLogger();
    const slow = deferred();
    const failing = recorder('archive', {
      end: () => Promise.reject(Object.assign(new Error('S3 said no'), { code: 'archive-closed', requestHeaders: { authorization: 'AWS4 secret-signature' } })),
    });
    const throwing: MediaConsumer = {
      name: 'sync-thrower',
      start() {},
      tag() {},
      end() {
        throw new TypeError('not even a promise');
      },
    };
    const ok = recorder('transcoder', { end: () => slow.promise });
    const tee = new Tee([failing, throwing, ok], logger);

    let done = false;
    const ending = tee.end('disconnected').then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false); // still waiting for the slow one
    slow.resolve();
    await expect(ending).resolves.toBeUndefined();
    expect(ok.ends).toEqual(['disconnected']);

    const failures = lines().filter((l) => l.msg === 'consumer failed to finish');
    expect(failures.map((l) => l.consumer).sort()).toEqual(['archive', 'sync-thrower']);
    expect(failures.find((l) => l.consumer === 'archive')!.err).toEqual({ name: 'Error', code: 'archive-closed', message: 'S3 said no' });
    expect(failures.find((l) => l.consumer === 'sync-thrower')!.err).toEqual({ name: 'TypeError', message: 'not even a promise' });
    const text = raw.join('');
    expect(text).not.toContain('stack');
    expect(text).not.toContain('secret-signature');
    expect(text).not.toContain('requestHeaders');
  });
});

describe('errorSummary', () => {
  test('keeps name, string code and message only', () => {
    const err = Object.assign(new RangeError('bad offset'), {
      code: 'ERR_OUT_OF_RANGE',
      config: { password: 'hunter2' },
      url: 'rtmp://host/live/SECRETKEY',
    });
    expect(err.stack).toBeDefined();
    const summary = errorSummary(err);
    expect(summary).toEqual({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: 'bad offset' });
    expect(Object.keys(summary).sort()).toEqual(['code', 'message', 'name']);
  });

  test('a non-string code is left out', () => {
    const summary = errorSummary(Object.assign(new Error('x'), { code: 42 }));
    expect(summary).toEqual({ name: 'Error', message: 'x' });
    expect('code' in summary).toBe(false);
  });

  test('subclass names survive', () => {
    class SpoolError extends Error {
      override readonly name = 'SpoolError';
      readonly code = 'spool-failed';
    }
    expect(errorSummary(new SpoolError('disk full'))).toEqual({ name: 'SpoolError', code: 'spool-failed', message: 'disk full' });
  });

  test('non-errors become a message', () => {
    expect(errorSummary('just text')).toEqual({ name: 'Error', message: 'just text' });
    expect(errorSummary(7)).toEqual({ name: 'Error', message: '7' });
    expect(errorSummary(undefined)).toEqual({ name: 'Error', message: 'undefined' });
    expect(errorSummary({ stack: 'at /home/x.js:1', code: 'E' })).toEqual({ name: 'Error', message: '[object Object]' });
  });
});
