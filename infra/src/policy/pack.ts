/** Entry of the policy pack (PulumiPolicy.yaml). Tests import `rules.ts`: constructing the pack starts a server. */
import { PolicyPack } from '@pulumi/policy'
import { policies } from './rules.ts'

new PolicyPack('ebox-registry', { policies })
