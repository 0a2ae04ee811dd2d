import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

/** s3rver's built-in account: it accepts this access key id and, for SigV4, does not check the secret. */
export const EMBEDDED_S3_ACCESS_KEY_ID = 'S3RVER';
export const EMBEDDED_S3_SECRET_ACCESS_KEY = 'S3RVER';
/** Any region works with s3rver; the SDK still needs one to sign. */
export const EMBEDDED_S3_REGION = 'us-east-1';

export interface EmbeddedS3Options {
  /** Where s3rver keeps buckets and objects (created if missing; kept on stop). */
  dataDir: string;
  /** Listen address. Keep it on loopback: s3rver does not verify SigV4 signatures. @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** Buckets created at start (existing ones are kept with their objects). */
  buckets?: string[];
}

export interface EmbeddedS3 {
  /** `http://HOST:PORT`, for an S3 client with `forcePathStyle: true`. */
  endpoint: string;
  host: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string;
  /** Close the listener and every open connection (in-flight requests fail, as in an outage). */
  stop(): Promise<void>;
}

/**
 * Run s3rver in this process: the product's zero-setup default object store and the tests' S3.
 *
 * What s3rver 3.7 does and does not do (checked against @aws-sdk/client-s3 v3):
 * - multipart: CreateMultipartUpload, UploadPart, CompleteMultipartUpload work; part sizes and ETags
 *   are not validated; UploadPart to an unknown upload id is accepted, and CompleteMultipartUpload
 *   for an unknown upload id answers 500 InternalError (real S3: 404 NoSuchUpload).
 * - AbortMultipartUpload and ListParts answer 405 MethodNotAllowed.
 * - SigV4 signatures are not verified (only the access key id must be known).
 * - streamed bodies must not be `aws-chunked`: see `createS3Client`.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.dataDir, { recursive: true });
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory: options.dataDir,
    // Path-style only: a Host header that is not an IP would otherwise be read as a bucket name.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const address = await server.run();
  const endpointHost = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${endpointHost}:${address.port}`,
    host,
    port: address.port,
    region: EMBEDDED_S3_REGION,
    accessKeyId: EMBEDDED_S3_ACCESS_KEY_ID,
    secretAccessKey: EMBEDDED_S3_SECRET_ACCESS_KEY,
    dataDir: options.dataDir,
    stop() {
      stopped ??= (async () => {
        const closing = server.close();
        // close() waits for keep-alive and in-flight connections; drop them so the port frees now.
        server.httpServer?.closeAllConnections();
        await closing;
      })();
      return stopped;
    },
  };
}
