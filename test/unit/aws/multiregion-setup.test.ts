/**
 * Request shapes of the multi-region setup (issue 23): UpdateTable with ReplicaUpdates and
 * StreamSpecification, ReplicateKey, CreateKey with MultiRegion. They cannot run against
 * dynalite or the local KMS server, so each command is sent through the real SDK client — its
 * own serializer, middleware stack and SigV4 signer — to a request handler that records the
 * HTTP request and answers nothing: no network call, the bytes AWS would receive.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  addReplicaInput, CreateKeyCommand, createMultiRegionKeyInput, enableStreamsInput, planMultiRegion, ReplicateKeyCommand, replicateKeyInput, UpdateTableCommand,
} from '../../../src/aws/multiregion-setup.js';

interface Captured {
  headers: Record<string, string>;
  body: unknown;
  hostname: string;
}

/** A request handler that records the serialized request and stops there. */
function recorder(): { handler: { handle: (request: { headers: Record<string, string>; body: string; hostname: string }) => Promise<never> }; requests: Captured[] } {
  const requests: Captured[] = [];
  return {
    requests,
    handler: {
      handle: async (request) => {
        requests.push({ headers: request.headers, body: JSON.parse(request.body) as unknown, hostname: request.hostname });
        throw Object.assign(new Error('recorded, not sent'), { name: 'Recorded' });
      },
    },
  };
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('multi-region setup requests, as the SDK serializes them', () => {
  it('UpdateTable ReplicaUpdates Create RegionName, and StreamSpecification NEW_AND_OLD_IMAGES', async () => {
    const { handler, requests } = recorder();
    const client = new DynamoDBClient({ region: 'us-east-1', credentials, requestHandler: handler as never, maxAttempts: 1 });
    await expect(client.send(new UpdateTableCommand(addReplicaInput('credential-store', 'eu-west-1')))).rejects.toThrow('recorded');
    await expect(client.send(new UpdateTableCommand(enableStreamsInput('credential-store')))).rejects.toThrow('recorded');
    expect(requests[0]?.headers['x-amz-target']).toBe('DynamoDB_20120810.UpdateTable');
    expect(requests[0]?.hostname).toBe('dynamodb.us-east-1.amazonaws.com');
    expect(requests[0]?.body).toEqual({ TableName: 'credential-store', ReplicaUpdates: [{ Create: { RegionName: 'eu-west-1' } }] });
    expect(requests[1]?.body).toEqual({ TableName: 'credential-store', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    expect(requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/dynamodb\/aws4_request/);
    client.destroy();
  });

  it('ReplicateKey KeyId ReplicaRegion, CreateKey MultiRegion true', async () => {
    const { handler, requests } = recorder();
    const client = new KMSClient({ region: 'us-east-1', credentials, requestHandler: handler as never, maxAttempts: 1 });
    const mrk = 'mrk-1234abcd12ab34cd56ef1234567890ab';
    await expect(client.send(new ReplicateKeyCommand(replicateKeyInput(mrk, 'eu-west-1')))).rejects.toThrow('recorded');
    await expect(client.send(new CreateKeyCommand(createMultiRegionKeyInput()))).rejects.toThrow('recorded');
    expect(requests[0]?.headers['x-amz-target']).toBe('TrentService.ReplicateKey');
    expect(requests[0]?.body).toMatchObject({ KeyId: mrk, ReplicaRegion: 'eu-west-1' });
    expect(requests[1]?.headers['x-amz-target']).toBe('TrentService.CreateKey');
    expect(requests[1]?.body).toMatchObject({ MultiRegion: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    client.destroy();
  });
});

describe('planMultiRegion', () => {
  const table = { TableName: 't' };
  it('a single-region key cannot be converted: the message names the one rotate command', () => {
    const plan = planMultiRegion(table, { KeyId: 'k', Arn: 'arn:aws:kms:us-east-1:1:key/k', MultiRegion: false }, ['eu-west-1']);
    expect(plan.cannot).toHaveLength(1);
    expect(plan.cannot[0]).toContain('keystash rotate --all --all-versions --key mrk-');
    expect(plan.key).toEqual([]);
  });

  it('streams first, then one replica per missing region; an MRK primary gets ReplicateKey for missing regions only', () => {
    const plan = planMultiRegion(
      { TableName: 't', Replicas: [{ RegionName: 'ap-south-1' }] },
      { KeyId: 'mrk-1', MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Region: 'us-east-1' }, ReplicaKeys: [{ Region: 'eu-west-1' }] } },
      ['eu-west-1', 'ap-south-1'],
    );
    expect(plan.table).toEqual([enableStreamsInput('t'), addReplicaInput('t', 'eu-west-1')]);
    expect(plan.key).toEqual([replicateKeyInput('mrk-1', 'ap-south-1')]);
    expect(plan.cannot).toEqual([]);
    expect(plan.ready).toEqual(['table t has a replica in ap-south-1', 'KMS key mrk-1 has a replica in eu-west-1']);
    const more = planMultiRegion(
      { TableName: 't', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } },
      { KeyId: 'mrk-1', MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Region: 'us-east-1' }, ReplicaKeys: [] } },
      ['eu-west-1'],
    );
    expect(more.table).toEqual([addReplicaInput('t', 'eu-west-1')]);
    expect(more.key).toEqual([replicateKeyInput('mrk-1', 'eu-west-1')]);
  });

  it('streams of another view type and a replica key are reported, not changed', () => {
    const plan = planMultiRegion(
      { TableName: 't', StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } },
      { KeyId: 'mrk-1', MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', PrimaryKey: { Region: 'eu-west-1' } } },
      ['ap-south-1'],
    );
    expect(plan.cannot).toHaveLength(2);
    expect(plan.cannot[0]).toContain('KEYS_ONLY');
    expect(plan.cannot[1]).toContain('replica');
  });
});
