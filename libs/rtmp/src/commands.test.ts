import { ProtocolError } from '@headwater/bytes';
import { amfObjectOf, decodeAmf0 } from '@headwater/amf';
import type { AmfValue } from '@headwater/amf';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  connectCommand,
  createStreamCommand,
  deleteStreamCommand,
  fcPublishCommand,
  fcUnpublishCommand,
  publishCommand,
  releaseStreamCommand,
} from './commands-client.js';
import {
  connectRejected,
  connectResult,
  createStreamResult,
  errorResult,
  onBWDone,
  onStatus,
  reconnectRequest,
  simpleResult,
} from './commands-server.js';
import { CapsEx, NetStatusCode, parseCommand, parseConnect, parsePublish, parseStatus, splitStreamName } from './commands.js';
import type { RtmpCommand } from './commands.js';

// Hand-written AMF0 (reference §5): markers, UI16-length strings, big-endian doubles.
const h = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const key = (name: string): Uint8Array => cat(h(Buffer.byteLength(name).toString(16).padStart(4, '0')), Buffer.from(name));
const str = (s: string): Uint8Array => cat(h('02'), key(s));
const num = (n: number): Uint8Array => {
  const b = Buffer.alloc(9);
  b.writeDoubleBE(n, 1);
  return Uint8Array.from(b);
};
const NULL = h('05');
const UNDEFINED = h('06');
const END = h('00 00 09');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const OBS_CONNECT = cat(
  str('connect'), num(1),
  h('03'),
  key('app'), str('live'),
  key('type'), str('nonprivate'),
  key('flashVer'), str('FMLE/3.0 (compatible; FMSc/1.0)'),
  key('swfUrl'), str('rtmp://localhost/live'),
  key('tcUrl'), str('rtmp://localhost/live'),
  END,
);

/** FFmpeg gen_connect with -rtmp_enhanced_codecs hvc1,av01,vp09: fourCcList is a strict array. */
const FFMPEG_ENHANCED_CONNECT = cat(
  str('connect'), num(1),
  h('03'),
  key('app'), str('live'),
  key('type'), str('nonprivate'),
  key('flashVer'), str('FMLE/3.0 (compatible; Lavf60.16.100)'),
  key('tcUrl'), str('rtmp://127.0.0.1:1935/live'),
  key('fourCcList'), h('0a 00000003'), str('hvc1'), str('av01'), str('vp09'),
  END,
);

interface ParseCase {
  name: string;
  bytes: Uint8Array;
  amf3: boolean;
  command: RtmpCommand;
}

const parseCases: ParseCase[] = [
  {
    name: 'OBS connect',
    bytes: OBS_CONNECT,
    amf3: false,
    command: {
      name: 'connect',
      transactionId: 1,
      commandObject: amfObjectOf({
        app: 'live',
        type: 'nonprivate',
        flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
        swfUrl: 'rtmp://localhost/live',
        tcUrl: 'rtmp://localhost/live',
      }),
      args: [],
    },
  },
  {
    name: 'FFmpeg enhanced connect',
    bytes: FFMPEG_ENHANCED_CONNECT,
    amf3: false,
    command: {
      name: 'connect',
      transactionId: 1,
      commandObject: amfObjectOf({
        app: 'live',
        type: 'nonprivate',
        flashVer: 'FMLE/3.0 (compatible; Lavf60.16.100)',
        tcUrl: 'rtmp://127.0.0.1:1935/live',
        fourCcList: ['hvc1', 'av01', 'vp09'],
      }),
      args: [],
    },
  },
  { name: 'releaseStream', bytes: cat(str('releaseStream'), num(2), NULL, str('key')), amf3: false, command: { name: 'releaseStream', transactionId: 2, commandObject: null, args: ['key'] } },
  { name: 'FCPublish', bytes: cat(str('FCPublish'), num(3), NULL, str('key')), amf3: false, command: { name: 'FCPublish', transactionId: 3, commandObject: null, args: ['key'] } },
  { name: 'createStream', bytes: cat(str('createStream'), num(4), NULL), amf3: false, command: { name: 'createStream', transactionId: 4, commandObject: null, args: [] } },
  {
    name: 'publish (librtmp: non-zero txn, query in the name)',
    bytes: cat(str('publish'), num(5), NULL, str('key?bandwidthtest=true'), str('live')),
    amf3: false,
    command: { name: 'publish', transactionId: 5, commandObject: null, args: ['key?bandwidthtest=true', 'live'] },
  },
  { name: 'FCUnpublish', bytes: cat(str('FCUnpublish'), num(6), NULL, str('key')), amf3: false, command: { name: 'FCUnpublish', transactionId: 6, commandObject: null, args: ['key'] } },
  { name: 'deleteStream', bytes: cat(str('deleteStream'), num(7), NULL, num(1)), amf3: false, command: { name: 'deleteStream', transactionId: 7, commandObject: null, args: [1] } },
  { name: '_checkbw', bytes: cat(str('_checkbw'), num(8), NULL), amf3: false, command: { name: '_checkbw', transactionId: 8, commandObject: null, args: [] } },
  { name: 'command without a command object', bytes: cat(str('createStream'), num(4)), amf3: false, command: { name: 'createStream', transactionId: 4, commandObject: null, args: [] } },
  {
    // Type 17: format byte 0, then AMF0 values; the command object switches to AMF3 (0x11).
    name: 'AMF3 connect (type 17)',
    bytes: cat(h('00'), str('connect'), num(1), h('11 0a 0b 01 07'), Buffer.from('app'), h('06 09'), Buffer.from('live'), h('01')),
    amf3: true,
    command: { name: 'connect', transactionId: 1, commandObject: amfObjectOf({ app: 'live' }), args: [] },
  },
];

const parseErrors: { name: string; bytes: Uint8Array; amf3: boolean; code: string }[] = [
  { name: 'empty body', bytes: new Uint8Array(0), amf3: false, code: 'command-malformed' },
  { name: 'AMF3 body without a format byte', bytes: new Uint8Array(0), amf3: true, code: 'truncated' },
  { name: 'number instead of a name', bytes: num(1), amf3: false, code: 'command-malformed' },
  { name: 'no transaction id', bytes: str('connect'), amf3: false, code: 'command-malformed' },
  { name: 'string transaction id', bytes: cat(str('connect'), str('1')), amf3: false, code: 'command-malformed' },
  { name: 'broken AMF', bytes: cat(str('connect'), h('00 3ff0')), amf3: false, code: 'truncated' },
];

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('parseCommand', () => {
  test.each(parseCases)('$name', ({ bytes, amf3, command }) => {
    expect(parseCommand(bytes, amf3)).toEqual(command);
  });

  test.each(parseErrors)('error $code: $name', ({ bytes, amf3, code }) => {
    expect(errorCode(() => parseCommand(bytes, amf3))).toBe(code);
  });

  test('AMF limits apply', () => {
    expect(errorCode(() => parseCommand(OBS_CONNECT, false, { maxStringBytes: 8 }))).toBe('limit-exceeded');
  });

  fcTest.prop([fc.uint8Array({ maxLength: 128 }), fc.boolean()], { numRuns: 500 })('random bodies give a command or a ProtocolError', (bytes, amf3) => {
    let cmd: RtmpCommand | undefined;
    if (errorCode(() => (cmd = parseCommand(bytes, amf3))) === 'no error') {
      expect(typeof cmd!.name).toBe('string');
      expect(typeof cmd!.transactionId).toBe('number');
      expect(Array.isArray(cmd!.args)).toBe(true);
    }
  });

  fcTest.prop([fc.constantFrom(...parseCases), fc.nat(), fc.integer({ min: 0, max: 255 })])('mutated cases give a command or a ProtocolError', (c, at, byte) => {
    const bytes = c.bytes.slice();
    bytes[at % bytes.length] = byte;
    errorCode(() => parseCommand(bytes, c.amf3)); // rethrows anything that is not a ProtocolError
  });
});

describe('parseConnect', () => {
  test('OBS: app, tcUrl, flashVer; no E-RTMP fields; AMF0', () => {
    const req = parseConnect(parseCommand(OBS_CONNECT, false));
    expect(req).toMatchObject({
      app: 'live',
      tcUrl: 'rtmp://localhost/live',
      flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
      swfUrl: 'rtmp://localhost/live',
      objectEncoding: 0,
      fourCcList: undefined,
      videoFourCcInfoMap: undefined,
      audioFourCcInfoMap: undefined,
      capsEx: undefined,
      extraArgs: [],
    });
    expect(req.props.type).toBe('nonprivate');
  });

  test('FFmpeg enhanced: fourCcList', () => {
    expect(parseConnect(parseCommand(FFMPEG_ENHANCED_CONNECT, false)).fourCcList).toEqual(['hvc1', 'av01', 'vp09']);
  });

  test('E-RTMP v2 maps and capsEx; junk entries are dropped', () => {
    const bytes = cat(
      str('connect'), num(1), h('03'),
      key('app'), str('a/b'),
      key('objectEncoding'), num(3),
      key('fourCcList'), h('0a 00000002'), str('*'), num(5),
      key('videoFourCcInfoMap'), h('03'), key('hvc1'), num(7), key('bad'), str('x'), END,
      key('audioFourCcInfoMap'), h('03'), key('*'), num(4), END,
      key('capsEx'), num(CapsEx.Reconnect | CapsEx.Multitrack),
      END,
      str('user-arg'),
    );
    const req = parseConnect(parseCommand(bytes, false));
    expect(req.app).toBe('a/b');
    expect(req.objectEncoding).toBe(3);
    expect(req.fourCcList).toEqual(['*']);
    expect(req.videoFourCcInfoMap).toEqual({ hvc1: 7 });
    expect(req.audioFourCcInfoMap).toEqual({ '*': 4 });
    expect(req.capsEx).toBe(3);
    expect(req.extraArgs).toEqual(['user-arg']);
  });

  test.each<[string, RtmpCommand]>([
    ['a null command object', { name: 'connect', transactionId: 1, commandObject: null, args: [] }],
    ['another command', { name: 'publish', transactionId: 1, commandObject: amfObjectOf({ app: 'x' }), args: [] }],
  ])('rejects %s', (_name, cmd) => {
    expect(errorCode(() => parseConnect(cmd))).toBe('connect-malformed');
  });

  test('a missing app is empty, an odd objectEncoding is 0', () => {
    const req = parseConnect({ name: 'connect', transactionId: 1, commandObject: amfObjectOf({ objectEncoding: 7 }), args: [] });
    expect(req.app).toBe('');
    expect(req.objectEncoding).toBe(0);
  });
});

describe('parsePublish and splitStreamName', () => {
  test('publish name and type', () => {
    const cmd = parseCommand(parseCases.find((c) => c.name.startsWith('publish'))!.bytes, false);
    expect(parsePublish(cmd)).toEqual({ name: 'key?bandwidthtest=true', type: 'live' });
    expect(parsePublish({ ...cmd, args: ['k'] })).toEqual({ name: 'k', type: 'live' });
    expect(errorCode(() => parsePublish({ ...cmd, args: [null] }))).toBe('publish-malformed');
  });

  test.each<[string, string, Record<string, string>]>([
    ['plain key', 'abc123', {}],
    ['Twitch bandwidth test', 'live_123_abc?bandwidthtest=true', { bandwidthtest: 'true' }],
    ['FFmpeg token', 'key?token=x', { token: 'x' }],
    ['empty query', 'key?', {}],
    ['no key', '?a=1', { a: '1' }],
    ['split on the first ?', 'a?b?c=d', { 'b?c': 'd' }],
    ['percent decoding', 'k?t=a%20b&u=c+d', { t: 'a b', u: 'c d' }],
    ['first repeated name wins', 'k?a=1&a=2', { a: '1' }],
    ['hostile names are data', 'k?__proto__=x&constructor=y', { ['__proto__']: 'x', constructor: 'y' }],
    ['slashes stay in the key', 'c/d', {}],
  ])('%s', (_name, input, query) => {
    const q = input.indexOf('?');
    const split = splitStreamName(input);
    expect(split.key).toBe(q < 0 ? input : input.slice(0, q));
    expect(Object.getPrototypeOf(split.query)).toBeNull();
    expect(Object.entries(split.query)).toEqual(Object.entries(query));
  });
});

interface BuildCase {
  name: string;
  build: () => Uint8Array;
  bytes: Uint8Array;
}

const buildCases: BuildCase[] = [
  {
    // Exactly what FFmpeg's listener sends (reference §4).
    name: 'connect _result',
    build: () => connectResult(1),
    bytes: cat(
      str('_result'), num(1),
      h('03'), key('fmsVer'), str('FMS/3,0,1,123'), key('capabilities'), num(31), END,
      h('03'), key('level'), str('status'), key('code'), str('NetConnection.Connect.Success'),
      key('description'), str('Connection succeeded.'), key('objectEncoding'), num(0), END,
    ),
  },
  {
    name: 'connect _result echoing AMF3 with E-RTMP caps',
    build: () => connectResult(1, { objectEncoding: 3, enhanced: { fourCcList: ['hvc1'], videoFourCcInfoMap: { hvc1: 4 }, capsEx: CapsEx.Multitrack } }),
    bytes: cat(
      str('_result'), num(1),
      h('03'), key('fmsVer'), str('FMS/3,0,1,123'), key('capabilities'), num(31),
      key('fourCcList'), h('0a 00000001'), str('hvc1'),
      key('videoFourCcInfoMap'), h('03'), key('hvc1'), num(4), END,
      key('capsEx'), num(2), END,
      h('03'), key('level'), str('status'), key('code'), str('NetConnection.Connect.Success'),
      key('description'), str('Connection succeeded.'), key('objectEncoding'), num(3), END,
    ),
  },
  {
    name: 'connect rejected',
    build: () => connectRejected(1, 'Authentication failed.'),
    bytes: cat(str('_error'), num(1), NULL, h('03'), key('level'), str('error'), key('code'), str('NetConnection.Connect.Rejected'), key('description'), str('Authentication failed.'), END),
  },
  {
    name: '_error for another call',
    build: () => errorResult(3, { level: 'error', code: 'NetStream.Publish.BadName', description: 'Stream already publishing.' }),
    bytes: cat(str('_error'), num(3), NULL, h('03'), key('level'), str('error'), key('code'), str('NetStream.Publish.BadName'), key('description'), str('Stream already publishing.'), END),
  },
  { name: 'onBWDone', build: onBWDone, bytes: cat(str('onBWDone'), num(0), NULL, num(8192)) },
  { name: 'createStream _result', build: () => createStreamResult(4, 1), bytes: cat(str('_result'), num(4), NULL, num(1)) },
  { name: 'simple _result', build: () => simpleResult(2), bytes: cat(str('_result'), num(2), NULL, UNDEFINED) },
  {
    name: 'onStatus Publish.Start',
    build: () => onStatus({ level: 'status', code: NetStatusCode.PublishStart, description: 'Start publishing', details: 'name' }),
    bytes: cat(str('onStatus'), num(0), NULL, h('03'), key('level'), str('status'), key('code'), str('NetStream.Publish.Start'), key('description'), str('Start publishing'), key('details'), str('name'), END),
  },
  {
    name: 'reconnect request with tcUrl',
    build: () => reconnectRequest('Server maintenance', 'rtmp://other.example/live'),
    bytes: cat(str('onStatus'), num(0), NULL, h('03'), key('level'), str('status'), key('code'), str('NetConnection.Connect.ReconnectRequest'), key('description'), str('Server maintenance'), key('tcUrl'), str('rtmp://other.example/live'), END),
  },
  {
    name: 'bare reconnect request',
    build: () => reconnectRequest(),
    bytes: cat(str('onStatus'), num(0), NULL, h('03'), key('level'), str('status'), key('code'), str('NetConnection.Connect.ReconnectRequest'), END),
  },
  {
    name: 'client connect like OBS',
    build: () => connectCommand({ app: 'live', tcUrl: 'rtmp://localhost/live', swfUrl: 'rtmp://localhost/live', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)' }),
    bytes: OBS_CONNECT,
  },
  {
    name: 'client connect like FFmpeg with enhanced codecs',
    build: () => connectCommand({ app: 'live', tcUrl: 'rtmp://127.0.0.1:1935/live', flashVer: 'FMLE/3.0 (compatible; Lavf60.16.100)', fourCcList: ['hvc1', 'av01', 'vp09'] }),
    bytes: FFMPEG_ENHANCED_CONNECT,
  },
  { name: 'client createStream', build: () => createStreamCommand(4), bytes: cat(str('createStream'), num(4), NULL) },
  { name: 'client publish', build: () => publishCommand(5, 'key?bandwidthtest=true'), bytes: cat(str('publish'), num(5), NULL, str('key?bandwidthtest=true'), str('live')) },
  { name: 'client releaseStream', build: () => releaseStreamCommand(2, 'key'), bytes: cat(str('releaseStream'), num(2), NULL, str('key')) },
  { name: 'client FCPublish', build: () => fcPublishCommand(3, 'key'), bytes: cat(str('FCPublish'), num(3), NULL, str('key')) },
  { name: 'client FCUnpublish', build: () => fcUnpublishCommand(6, 'key'), bytes: cat(str('FCUnpublish'), num(6), NULL, str('key')) },
  { name: 'client deleteStream', build: () => deleteStreamCommand(7, 1), bytes: cat(str('deleteStream'), num(7), NULL, num(1)) },
];

describe('command builders', () => {
  test.each(buildCases)('$name', ({ build, bytes }) => {
    expect(hex(build())).toBe(hex(bytes));
  });

  test.each(buildCases)('parses back: $name', ({ build }) => {
    const cmd = parseCommand(build(), false);
    const values: AmfValue[] = decodeAmf0(build());
    expect([cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args]).toEqual(values);
  });

  test('parseStatus reads onStatus, _error and connect _result info', () => {
    expect(parseStatus(parseCommand(onStatus({ level: 'status', code: NetStatusCode.UnpublishSuccess }), false))).toEqual({
      level: 'status',
      code: 'NetStream.Unpublish.Success',
      description: undefined,
      details: undefined,
    });
    expect(parseStatus(parseCommand(connectRejected(1, 'no'), false))).toMatchObject({ level: 'error', code: NetStatusCode.ConnectRejected, description: 'no' });
    expect(parseStatus(parseCommand(connectResult(1), false))?.code).toBe(NetStatusCode.ConnectSuccess);
    expect(parseStatus(parseCommand(createStreamResult(4, 1), false))).toBeUndefined();
  });

  fcTest.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.string({ unit: 'binary', maxLength: 300 })])('publish round trip for any name', (txn, name) => {
    const cmd = parseCommand(publishCommand(txn, name), false);
    expect(cmd.transactionId).toBe(txn);
    expect(parsePublish(cmd)).toEqual({ name, type: 'live' });
  });

  fcTest.prop([fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.option(fc.array(fc.string({ minLength: 4, maxLength: 4 }), { maxLength: 5 }), { nil: undefined }), fc.option(fc.nat(15), { nil: undefined })])(
    'connect round trip through parseConnect',
    (app, tcUrl, fourCcList, capsEx) => {
      const req = parseConnect(parseCommand(connectCommand({ app, tcUrl, fourCcList, capsEx }), false));
      expect(req).toMatchObject({ app, tcUrl, fourCcList, capsEx, objectEncoding: 0 });
    },
  );
});
