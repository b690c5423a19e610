/**
 * AWS credentials for an assumed role (`--role-arn`), from the SDK's own provider: STS AssumeRole
 * with the default credential chain (or `--profile`) as the source, refreshed automatically.
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Config } from '../config.js';

/** A credential provider assuming `config.roleArn` (session name as credstash's, §3.1). */
export function assumeRoleCredentials(config: Config): ReturnType<typeof fromTemporaryCredentials> {
  return fromTemporaryCredentials({
    params: { RoleArn: config.roleArn!, RoleSessionName: 'AssumeRoleKeystashSession1' },
    clientConfig: { region: config.region, ...(config.profile ? { profile: config.profile } : {}) },
  });
}
