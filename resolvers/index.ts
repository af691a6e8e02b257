import { apiKeyResolvers } from './api-key.js';
import { approvalResolvers } from './approval.js';
import { auditResolvers } from './audit.js';
import { communityResolvers } from './community.js';
import { identityResolvers } from './identity.js';
import { alertResolvers } from './alert.js';
import { indicatorResolvers } from './indicator.js';
import { memberResolvers } from './member.js';
import { modelReviewFindingResolvers } from './model-review-findings.js';
import { mispResolvers } from './misp.js';
import { nodeResolvers } from './node.js';
import { noticeResolvers } from './notice.js';
import { scalarResolvers } from './scalars.js';
import { stixResolvers } from './stix.js';
import { personResolvers } from './person.js';
import { vulnerabilityExportResolvers } from './vulnerability-exports.js';
import { vulnerabilityResolvers } from './vulnerability.js';
import { vulnerabilityWorkflowResolvers } from './vulnerability-workflow.js';
import { federationResolvers } from './federation.js';
import { modelReviewResolvers } from './model-review.js';
import { warningListResolvers } from './warninglists.js';
import { decayResolvers } from './decay.js';
import { warningHoldResolvers } from './warning-hold.js';

/** Every resolver map, one per domain, mirroring `schema/`. */
export const resolvers = [alertResolvers, scalarResolvers, nodeResolvers, memberResolvers, indicatorResolvers, noticeResolvers, identityResolvers, approvalResolvers, auditResolvers, stixResolvers, apiKeyResolvers, communityResolvers, personResolvers, vulnerabilityResolvers, vulnerabilityWorkflowResolvers, vulnerabilityExportResolvers, modelReviewResolvers, modelReviewFindingResolvers, mispResolvers, federationResolvers, decayResolvers, warningListResolvers, warningHoldResolvers];
