/**
 * Every command of `npm run -s hub --`, in the order `--help` lists them. One file per command
 * group under src/cli/; a new command is one import and one entry here.
 */
import { apikeyCreateCommand, apikeyListCommand, apikeyRevokeCommand } from './apikey-commands.js';
import { approvalApproveCommand, approvalListCommand, approvalRejectCommand } from './approval-commands.js';
import type { Command } from './command.js';
import { auditVerifyCommand } from './audit-verify.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { idpAddCommand, idpListCommand } from './idp-commands.js';
import { communityAddCommand, communityAddMemberCommand, communityListCommand, communityRemoveMemberCommand } from './community-commands.js';
import {
  memberAddCommand,
  memberListCommand,
  memberOffboardCommand,
  memberReinstateCommand,
  memberSuspendCommand,
  memberTierCommand,
} from './member-commands.js';
import { serveCommand } from './serve-command.js';
import { tokenCommand } from './token-command.js';
import { initCommand } from './init-command.js';
import { personAddCommand, personGrantCommand, personListCommand, personRevokeCommand } from './person-commands.js';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  initCommand,
  tokenCommand,
  memberAddCommand,
  memberListCommand,
  memberTierCommand,
  memberSuspendCommand,
  memberReinstateCommand,
  memberOffboardCommand,
  personAddCommand,
  personListCommand,
  personGrantCommand,
  personRevokeCommand,
  communityAddCommand,
  communityListCommand,
  communityAddMemberCommand,
  communityRemoveMemberCommand,
  apikeyCreateCommand,
  apikeyListCommand,
  apikeyRevokeCommand,
  idpAddCommand,
  idpListCommand,
  approvalListCommand,
  approvalApproveCommand,
  approvalRejectCommand,
  auditVerifyCommand,
  exportCommand,
  importCommand,
];
