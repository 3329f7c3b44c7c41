// Handler of the benchmark's large Node function; its size comes from node_modules.
const AWS = require("aws-sdk");

const s3 = new AWS.S3();

exports.handler = async (event) => {
  const buckets = await s3.listBuckets().promise();
  return { statusCode: 200, body: JSON.stringify({ count: buckets.Buckets.length, event }) };
};
