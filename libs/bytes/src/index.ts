export { ProtocolError, checkLimit } from './protocol-error.js';
export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { BitReader, unescapeRbsp } from './bit-reader.js';
export { ByteQueue } from './byte-queue.js';
