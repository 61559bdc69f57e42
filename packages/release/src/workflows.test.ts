import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { COMMAND_NAMES } from './cli.ts'
import { ACC_GATES, PRD_GATES } from './settle.ts'
import { lintFile, lintFiles, lintWorkflows, type Workflow } from './workflow-lint.ts'

const root = new URL('../../../', import.meta.url).pathname
const read = (file: string): string => readFileSync(`${root}${file}`, 'utf8')
const PROMOTE = '.github/workflows/promote-prd.yml'
const ACC = '.github/workflows/deploy-acc.yml'

/** Lints `file` with one edit applied, and returns the problems' messages. */
async function lintEdited(file: string, from: string | RegExp, to: string): Promise<string[]> {
  const text = read(file)
  const edited = text.replace(from, to)
  expect(edited, `the edit of ${file} must change something`).not.toBe(text)
  return (await lintFile(file, edited)).map((problem) => problem.message)
}

describe('the workflows as committed', () => {
  it('include every workflow of the pipeline and its local actions', () => {
    expect(lintFiles(root)).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/deploy-acc.yml',
      '.github/workflows/drift.yml',
      '.github/workflows/promote-prd.yml',
      '.github/workflows/reject-digest.yml',
      '.github/workflows/release-board.yml',
      '.github/workflows/release.yml',
      '.github/actions/pulumi/action.yml',
      '.github/actions/setup/action.yml',
    ])
  })

  it('pass actionlint and every invariant', async () => {
    expect(await lintWorkflows(root)).toEqual([])
  })

  it('grant each job only what it needs', () => {
    const granted = Object.fromEntries(
      lintFiles(root)
        .filter((file) => file.includes('workflows'))
        .flatMap((file) =>
          Object.entries((parse(read(file)) as Workflow).jobs ?? {}).map(([job, { permissions }]) => [
            `${file.replace('.github/workflows/', '')} ${job}`,
            permissions,
          ]),
        ),
    )
    expect(granted).toEqual({
      'ci.yml checks': { contents: 'read' },
      'ci.yml preview': { contents: 'read', 'pull-requests': 'write', 'id-token': 'write' },
      'deploy-acc.yml build': {
        contents: 'read',
        packages: 'write',
        'id-token': 'write',
        attestations: 'write',
      },
      'deploy-acc.yml deploy': {
        contents: 'write',
        'id-token': 'write',
        attestations: 'write',
        packages: 'write',
      },
      'drift.yml drift': { contents: 'read', 'id-token': 'write' },
      'promote-prd.yml gate': {
        contents: 'write',
        packages: 'read',
        attestations: 'read',
        'id-token': 'write',
      },
      'promote-prd.yml deploy': {
        contents: 'write',
        actions: 'read',
        packages: 'read',
        attestations: 'read',
        'id-token': 'write',
      },
      'reject-digest.yml reject': {
        contents: 'write',
        'id-token': 'write',
        attestations: 'write',
        packages: 'write',
      },
      'release-board.yml board': { contents: 'read' },
      'release.yml release': { contents: 'write', 'pull-requests': 'write' },
    })
  })

  it('call only ebox-release commands that exist', () => {
    const used = lintFiles(root).flatMap((file) =>
      [...read(file).matchAll(/ebox-release\.mjs ([a-z-]+)/g)].map((match) => match[1]),
    )
    expect(used.length).toBeGreaterThan(10)
    expect(used.filter((name) => !COMMAND_NAMES.includes(name ?? ''))).toEqual([])
  })

  it('hand settle the outcome of every gate step', () => {
    const outcomesOf = (file: string): string => {
      const jobs = (parse(read(file)) as Workflow).jobs ?? {}
      const settleStep = Object.values(jobs)
        .flatMap((job) => job.steps ?? [])
        .find((step) => /ebox-release\.mjs settle[\s\S]*--outcomes "\$OUTCOMES"/.test(step.run ?? ''))
      return String((settleStep as { env?: Record<string, string> } | undefined)?.env?.OUTCOMES)
    }
    for (const [file, gates] of [
      [ACC, ACC_GATES],
      [PROMOTE, PRD_GATES],
    ] as const)
      for (const id of [...gates, 'rollback'])
        expect(outcomesOf(file)).toContain(`${id}=\${{ steps.${id}.outcome }}`)
  })

  it('let only deploy-acc.yml build images, so PRD never does', () => {
    const builders = lintFiles(root).filter((file) =>
      /docker\/build-push-action@|docker build/.test(read(file)),
    )
    expect(builders).toEqual([ACC])
  })
})

describe('the invariants catch', () => {
  it('a PRD workflow that builds an image', async () => {
    const problems = await lintEdited(
      PROMOTE,
      '      - id: up\n',
      '      - run: docker build -t registry .\n      - id: up\n',
    )
    expect(problems).toContain('the PRD workflow must never build or push an image')
  })

  it('a PRD deployment of a digest other than the one the ACC evidence names', async () => {
    const problems = await lintEdited(
      PROMOTE,
      /image: \$\{\{ steps\.check\.outputs\.image \}\}\n {10}plan: \$\{\{ runner\.temp \}\}\/plan/,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      'image: ${{ vars.IMAGE_REPOSITORY }}@${{ inputs.digest }}\n          plan: ${{ runner.temp }}/plan',
    )
    expect(problems).toContain(
      'job deploy must deploy the image the ACC evidence names (steps.check.outputs.image)',
    )
  })

  it('a check that does not stop the PRD deployment', async () => {
    const problems = await lintEdited(
      PROMOTE,
      '      - id: check\n        name: Check again',
      '      - id: check\n        continue-on-error: true\n        name: Check again',
    )
    expect(problems).toContain('job deploy: the check step must be unconditional and stop the job on refusal')
  })

  it('a PRD deployment outside the production environment', async () => {
    const problems = await lintEdited(PROMOTE, 'name: production', 'name: prd-no-review')
    expect(problems).toContain('job deploy deploys prd outside the `production` environment')
  })

  it('a PRD deployment that can be cancelled midway', async () => {
    const problems = await lintEdited(
      PROMOTE,
      /group: deploy-prd\n {6}cancel-in-progress: false/,
      'group: deploy-prd\n      cancel-in-progress: true',
    )
    expect(problems).toContain(
      'job deploy deploys prd: it needs concurrency group deploy-prd, cancel-in-progress: false',
    )
  })

  it('a PRD deployment not verified by the conformance suite afterwards, or not rolled back on failure', async () => {
    expect(
      await lintEdited(PROMOTE, '--profile prod --report-dir', '--profile smoke --report-dir'),
    ).toContain('job deploy must run the conformance prod profile after the deployment')
    expect(
      await lintEdited(
        PROMOTE,
        "if: (failure() || cancelled()) && steps.up.outcome != 'skipped' && env.DECISION == 'promote' && steps.check.outputs.rollback-image != ''",
        "if: failure() && steps.up.outcome != 'skipped' && env.DECISION == 'promote' && steps.check.outputs.rollback-image != ''",
      ),
    ).toContain(
      'job deploy must roll prd back to steps.check.outputs.rollback-image on failure or cancellation',
    )
  })

  it('ACC evidence recorded without the certification profile, or a second build', async () => {
    expect(await lintEdited(ACC, '--profile certification', '--profile prod')).toContain(
      'job deploy must run the conformance certification profile (step conformance_certification)',
    )
    const build = read(ACC).match(/ {6}- id: build\n[\s\S]*?(?= {6}- uses: sigstore)/)?.[0] ?? ''
    expect(
      await lintEdited(ACC, build, `${build}${build.replace('id: build', 'id: build-again')}`),
    ).toContain('the image must be built exactly once (found 2)')
  })

  it('an ACC deployment of anything but the digest just built', async () => {
    const problems = await lintEdited(
      ACC,
      /image: \$\{\{ vars\.IMAGE_REPOSITORY \}\}@\$\{\{ needs\.build\.outputs\.digest \}\}/,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      'image: ${{ vars.IMAGE_REPOSITORY }}:latest',
    )
    expect(problems).toContain('job deploy must deploy the digest the build job produced')
  })

  it('broad permissions', async () => {
    expect(await lintEdited(ACC, /^permissions: \{\}$/m, 'permissions: write-all')).toContain(
      'the workflow must start with `permissions: {}`',
    )
    expect(
      await lintEdited(
        '.github/workflows/drift.yml',
        / {4}permissions:\n {6}contents: read\n {6}id-token: write.*\n/,
        '',
      ),
    ).toContain('job drift must list its permissions explicitly')
  })

  it('actions not pinned to a commit SHA, or pinned without their version', async () => {
    const tag = await lintEdited(
      '.github/workflows/release.yml',
      /changesets\/action@[0-9a-f]{40}/,
      'changesets/action@v2',
    )
    expect(tag).toContain('changesets/action@v2 is not pinned to a commit SHA')
    const bare = await lintEdited('.github/workflows/release.yml', / # v2\.1\.1/, '')
    expect(bare.some((message) => /has no "# vX.Y.Z" comment/.test(message))).toBe(true)
  })

  it('an image build in any other workflow', async () => {
    const problems = await lintEdited(
      '.github/workflows/ci.yml',
      '      - run: pnpm lint\n',
      '      - run: pnpm lint\n      - run: docker build .\n',
    )
    expect(problems).toContain('only deploy-acc.yml builds images')
  })

  it('what actionlint catches: a reference to a step that does not exist', async () => {
    const problems = await lintEdited(
      PROMOTE,
      'steps.check.outputs.rollback-commit',
      'steps.chek.outputs.rollback-commit',
    )
    expect(problems.some((message) => message.startsWith('actionlint: property "chek" is not defined'))).toBe(
      true,
    )
  })

  it('what actionlint catches: untrusted input inlined in a script', async () => {
    const problems = await lintEdited(
      '.github/workflows/reject-digest.yml',
      'reject --digest "$DIGEST"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      'reject --digest "${{ github.event.head_commit.message }}"',
    )
    expect(problems.some((message) => /potentially untrusted/.test(message))).toBe(true)
  })
})

describe('the trust invariants catch', () => {
  const CI = '.github/workflows/ci.yml'
  const DRIFT = '.github/workflows/drift.yml'

  it('a PRD-capable secret, a PRD environment or a PRD stack in a pull_request job', async () => {
    const secret = await lintEdited(
      CI,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      'kubeconfig: ${{ secrets.KUBECONFIG }}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      'kubeconfig: ${{ secrets.PRD_KUBECONFIG }}',
    )
    expect(secret).toContain('pull_request job preview reads secret PRD_KUBECONFIG, which may reach PRD')
    expect(await lintEdited(CI, 'environment: acc-preview', 'environment: production-preview')).toContain(
      'pull_request job preview uses environment production-preview; only acc-preview is allowed',
    )
    const stack = await lintEdited(CI, 'stack: acc\n', 'stack: prd\n')
    expect(stack).toContain('pull_request job preview runs pulumi on prd; only an ACC preview is allowed')
    const env = await lintEdited(
      CI,
      '      DATABASE_URL: postgres://postgres@127.0.0.1:5432/postgres\n',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      '      DATABASE_URL: postgres://postgres@127.0.0.1:5432/postgres\n      TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n',
    )
    expect(env).toContain('pull_request job checks reads secret PULUMI_ACCESS_TOKEN, which may reach PRD')
  })

  it("a production job that does not prove the attempt's approval, or proves it after up", async () => {
    const approvals =
      read(PROMOTE).match(/ {6}- id: approvals\n[\s\S]*?(?= {6}- name: The plan the approver saw)/)?.[0] ?? ''
    expect(approvals).not.toBe('')
    expect(await lintEdited(PROMOTE, approvals, '')).toContain(
      "job deploy must prove the attempt's approval (ebox-release approvals) before up",
    )
    expect(
      await lintEdited(
        PROMOTE,
        approvals,
        approvals.replace(
          '      - id: approvals\n',
          '      - id: approvals\n        continue-on-error: true\n',
        ),
      ),
    ).toContain("job deploy must prove the attempt's approval (ebox-release approvals) before up")
  })

  it('policy or calendar not read from main, or runs from another ref not refused', async () => {
    expect(
      await lintEdited(
        PROMOTE,
        '--main-ref origin/main --policy "$RUNNER_TEMP/policy.yaml" --calendar "$RUNNER_TEMP/freeze-calendar.yaml"\n          >> "$GITHUB_OUTPUT"',
        '--main-ref origin/main\n          >> "$GITHUB_OUTPUT"',
      ),
    ).toContain('job deploy must check with the policy and freeze calendar read from main')
    const refusal = await lintEdited(
      PROMOTE,
      / {6}- name: Refuse runs from any ref but main\n {8}if: github.ref != 'refs\/heads\/main'\n {8}run: echo "::error::deployments run from main only, not \$GITHUB_REF" && exit 1\n/,
      '',
    )
    expect(refusal).toContain('job deploy must first refuse runs from any ref but main')
  })

  it('a PRD deployment without the saved plan, or a gate that does not save it', async () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      await lintEdited(PROMOTE, '          plan: ${{ runner.temp }}/plan/prd.plan.json\n', ''),
    ).toContain('job deploy must apply the plan saved at the gate (plan and plan-seal on up)')
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      await lintEdited(PROMOTE, '          plan-seal: ${{ runner.temp }}/prd.plan-seal.json\n', ''),
    ).toContain('job gate must save and seal the plan of its prd preview')
    expect(
      await lintEdited(PROMOTE, 'environment: production-preview', 'environment: acc-preview'),
    ).toContain('job gate previews prd outside the production-preview environment')
  })

  it('a rollback that does not run on cancellation or timeout', async () => {
    expect(
      await lintEdited(
        ACC,
        'if: (failure() || cancelled()) && steps.up.outcome',
        'if: failure() && steps.up.outcome',
      ),
    ).toContain('job deploy must roll acc back on failure or cancellation')
  })

  it('ACC deploys without the order guard or without signing the verification', async () => {
    expect(await lintEdited(ACC, 'acc-order --commit', 'current --commit')).toContain(
      'job deploy must refuse a commit older than what ACC runs (acc-order) before up',
    )
    expect(
      await lintEdited(
        ACC,
        'predicate-type: https://ebox.dev/attestations/acc-verification/v1',
        'predicate-type: https://ebox.dev/attestations/other/v1',
      ),
    ).toContain('job deploy must sign the ACC verification on the digest (actions/attest)')
  })

  it('drift without refresh', async () => {
    expect(await lintEdited(DRIFT, '          refresh: "true"\n', '')).toContain(
      'drift must preview with refresh: "true" and expect-no-changes: "true"',
    )
  })

  it('promote-prd without its workflow-level concurrency', async () => {
    expect(
      await lintEdited(
        PROMOTE,
        /^concurrency:\n {2}group: promote-prd\n {2}cancel-in-progress: false\n/m,
        '',
      ),
    ).toContain('the workflow needs its own concurrency group with cancel-in-progress: false')
  })
})
