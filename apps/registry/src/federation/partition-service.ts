/**
 * The federation's Partition service (federation-duties §3.3): routing rules, users' partition rights and
 * mandates. The HTTP client and its cache implement this; tests use a stand-in server.
 */
export interface RoutingRule {
  routingRuleId: number
  /** Target partition of the messages the rule matches. */
  partitionId: string
  messageTypeId?: string
  senderApplicationId?: string
  senderOrganizationId?: string
}

export type MandateOperation = 'publish' | 'consult'

export interface PartitionService {
  /** The enterprise's routing rules, highest priority first. */
  routingRules(enterpriseNumber: string): Promise<RoutingRule[]>
  /** Partitions of the enterprise's e-Box in which the user (by SSIN) has consultation rights. */
  userPartitions(enterpriseNumber: string, userSsin: string): Promise<string[]>
  /** Whether `mandataryEnterpriseNumber` may act for `enterpriseNumber` in `operation`. */
  hasMandate(
    enterpriseNumber: string,
    mandataryEnterpriseNumber: string,
    operation: MandateOperation,
  ): Promise<boolean>
}
