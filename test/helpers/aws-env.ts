/**
 * The environment and credentials that point keystash (and SDK clients in tests) at the loopback
 * backends started by test/global-setup.ts: dynalite and the local KMS server.
 */
import { inject } from 'vitest';

/** Static credentials accepted by the KMS server (dynalite accepts any). */
export function awsTestCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: inject('kmsAccessKeyId'), secretAccessKey: inject('kmsSecretAccessKey') };
}

/** AWS_* variables for a keystash child process using the loopback backends. */
export function awsTestEnv(): Record<string, string> {
  const { accessKeyId, secretAccessKey } = awsTestCredentials();
  return {
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
