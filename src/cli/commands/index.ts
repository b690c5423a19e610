import type { Command } from 'commander';
import type { CliDeps } from '../deps.js';
import { deleteCommand } from './delete.js';
import { getCommand } from './get.js';
import { getallCommand } from './getall.js';
import { keysCommand } from './keys.js';
import { listCommand } from './list.js';
import { putCommand } from './put.js';
import { setupCommand } from './setup.js';
import { configCommand } from './config.js';
import { kmsCommand } from './kms.js';
import { iamPolicyCommand } from './iam-policy.js';
import { rotateCommand } from './rotate.js';
import { migrateCommand } from './migrate.js';
import { replicateCommand } from './replicate.js';
import { historyCommand } from './history.js';
import { verifyCommand } from './verify.js';
import { execCommand } from './exec.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { injectCommand } from './inject.js';
import { putallCommand } from './putall.js';
import { backupCommand } from './backup.js';
import { restoreCommand } from './restore.js';
import { completionCommand } from './completion.js';

/** Every command by the name it registers, in help order (program.ts checks each name matches). */
export const COMMANDS: ReadonlyArray<readonly [name: string, factory: (deps: CliDeps) => Command]> = [
  ['setup', setupCommand],
  ['put', putCommand],
  ['get', getCommand],
  ['getall', getallCommand],
  ['list', listCommand],
  ['keys', keysCommand],
  ['delete', deleteCommand],
  ['history', historyCommand],
  ['rotate', rotateCommand],
  ['verify', verifyCommand],
  ['migrate', migrateCommand],
  ['replicate', replicateCommand],
  ['exec', execCommand],
  ['export', exportCommand],
  ['import', importCommand],
  ['inject', injectCommand],
  ['putall', putallCommand],
  ['backup', backupCommand],
  ['restore', restoreCommand],
  ['completion', completionCommand],
  ['kms', kmsCommand],
  ['config', configCommand],
  ['iam-policy', iamPolicyCommand],
];
