import type { Command } from 'commander';
import type { CliDeps } from '../cli/deps.js';
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
import { historyCommand } from './history.js';
import { verifyCommand } from './verify.js';
import { execCommand } from './exec.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { putallCommand } from './putall.js';
import { backupCommand } from './backup.js';
import { restoreCommand } from './restore.js';
import { completionCommand } from './completion.js';

/** Every command, in help order. */
export const COMMANDS: ReadonlyArray<(deps: CliDeps) => Command> = [
  setupCommand,
  putCommand,
  getCommand,
  getallCommand,
  listCommand,
  keysCommand,
  deleteCommand,
  historyCommand,
  rotateCommand,
  verifyCommand,
  migrateCommand,
  execCommand,
  exportCommand,
  importCommand,
  putallCommand,
  backupCommand,
  restoreCommand,
  completionCommand,
  kmsCommand,
  configCommand,
  iamPolicyCommand,
];
