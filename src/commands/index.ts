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

/** Every command, in help order. */
export const COMMANDS: ReadonlyArray<(deps: CliDeps) => Command> = [
  setupCommand,
  putCommand,
  getCommand,
  getallCommand,
  listCommand,
  keysCommand,
  deleteCommand,
  kmsCommand,
  configCommand,
  iamPolicyCommand,
];
