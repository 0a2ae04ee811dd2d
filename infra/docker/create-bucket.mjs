// One-shot bucket creation for infra/compose.yaml (`bucket` service): waits for the S3 endpoint,
// then creates HEADWATER_S3_BUCKET unless it exists. Uses the image's own @aws-sdk/client-s3, so
// no extra image (mc) is needed. Exit 0 = the bucket exists.
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

const env = process.env;
const bucket = env.HEADWATER_S3_BUCKET ?? 'headwater';
const s3 = new S3Client({
  endpoint: env.HEADWATER_S3_ENDPOINT,
  region: env.HEADWATER_S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: env.HEADWATER_S3_ACCESS_KEY_ID ?? '', secretAccessKey: env.HEADWATER_S3_SECRET_ACCESS_KEY ?? '' },
});

for (let attempt = 1; ; attempt++) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    console.log(`bucket ${bucket}: exists`);
    break;
  } catch (err) {
    const status = err?.$metadata?.httpStatusCode;
    if (status === 404) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      console.log(`bucket ${bucket}: created`);
      break;
    }
    // Never print the error object: it may carry request details; the name is enough.
    if (attempt >= 30) {
      console.error(`bucket ${bucket}: S3 not reachable (${err?.name ?? 'error'})`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
s3.destroy();
