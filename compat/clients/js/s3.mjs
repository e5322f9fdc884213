// aws-sdk-js v3 for compat/clients/test_aws_sdk_js.py: one command per run, results as JSON on
// stdout. Configured only by S3MPU_ENDPOINT, S3MPU_ACCESS_KEY, S3MPU_SECRET_KEY, S3MPU_REGION
// (and NODE_EXTRA_CA_CERTS for https); everything else is the SDK's default.
//
//   node s3.mjs upload FILE BUCKET KEY PART_SIZE   lib-storage Upload of a file
//   node s3.mjs list BUCKET                        ListObjectsV2, every page
//   node s3.mjs download BUCKET KEY FILE           GetObject into a file
//   node s3.mjs stall BUCKET KEY PART_SIZE BYTES   Upload of a stream fed BYTES, then stalled;
//                                                  a line on stdin calls upload.abort()
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { S3Client, GetObjectCommand, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const client = new S3Client({
  endpoint: process.env.S3MPU_ENDPOINT,
  region: process.env.S3MPU_REGION,
  credentials: {
    accessKeyId: process.env.S3MPU_ACCESS_KEY,
    secretAccessKey: process.env.S3MPU_SECRET_KEY,
  },
  forcePathStyle: true,
  maxAttempts: 1,
});

async function upload(file, bucket, key, partSize) {
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(file) },
    partSize: Number(partSize),
    queueSize: 4,
  });
  const done = await upload.done();
  return { ETag: done.ETag, Key: done.Key };
}

async function list(bucket) {
  const objects = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket })) {
    for (const object of page.Contents ?? []) {
      objects.push({ Key: object.Key, Size: object.Size, ETag: object.ETag });
    }
  }
  return objects;
}

async function download(bucket, key, file) {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(response.Body, createWriteStream(file));
  return { ContentLength: response.ContentLength, ETag: response.ETag };
}

async function stall(bucket, key, partSize, bytes) {
  // A stream that never ends by itself: the Upload sends the whole parts it was fed and waits
  // for more. abort() then stops it; ending the stream lets its part uploaders return, and the
  // Upload sends AbortMultipartUpload (leavePartsOnError is false by default) before the
  // process exits.
  const body = new Readable({ read() {} });
  body.push(Buffer.alloc(Number(bytes)));
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body },
    partSize: Number(partSize),
    queueSize: 4,
  });
  process.stdin.once("data", () => {
    upload.abort();
    body.push(null);
    process.stdin.destroy();
  });
  try {
    await upload.done();
    return { aborted: false };
  } catch (error) {
    return { aborted: error.name === "AbortError", error: error.name };
  }
}

const commands = { upload, list, download, stall };
const [command, ...args] = process.argv.slice(2);
process.stdout.write(JSON.stringify(await commands[command](...args)) + "\n");
