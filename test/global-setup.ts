/**
 * Starts the real backends once for the whole run, on free loopback ports:
 * dynalite (DynamoDB) and `keystash kms serve` (the local KMS over the AWS protocol).
 * Tests read their endpoints with `inject('dynamoEndpoint')` / `inject('kmsEndpoint')`.
 */
import type { TestProject } from 'vitest/node';
import { startDynalite } from './helpers/dynalite.js';
import { startKmsServer } from './helpers/kms-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    kmsEndpoint: string;
    kmsAccessKeyId: string;
    kmsSecretAccessKey: string;
    kmsHome: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynalite();
  const kms = await startKmsServer();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('kmsEndpoint', kms.endpoint);
  project.provide('kmsAccessKeyId', kms.accessKeyId);
  project.provide('kmsSecretAccessKey', kms.secretAccessKey);
  project.provide('kmsHome', kms.home);
  return async () => {
    await kms.stop();
    await dynamo.stop();
  };
}
