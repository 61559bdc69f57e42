/**
 * Facts about the demo data set that other packages (quickstart, conformance, benchmarks, tests) rely on.
 * `buildDemoDataSet(now)` produces data that satisfies every one of them (src/demo-data.test.ts checks it).
 */
const id = (n: number) => `de3a0000-0000-4000-8000-${String(n).padStart(12, '0')}`

export const demoMessageId = id

export const SPINACH_SUBJECT = 'This is some random with Special cases like épinards and François, ok?'

export const DEMO = {
  /** The main enterprise e-Box (the quickstart token speaks for it). */
  enterprise: '0406798006',
  /** A second enterprise e-Box: its messages must never show in the first. */
  secondEnterprise: '0206731645',
  /** A citizen e-Box. */
  citizenSsin: '79072300048',

  /** Partitions of the main e-Box, as the federation's consultation test scenarios name them (§5). */
  partitions: {
    general: 'GENERAL',
    b: 'partitionBid',
    toDelete: 'partitionToDelete',
    noAccess: 'partitionIdNoAccess',
  },

  /** Messages of the main e-Box with a role in the scenarios. */
  messages: {
    /** One main PDF, attachment id '1'. */
    mainPdf: id(1),
    /** fr subject = SPINACH_SUBJECT (the brief's search example). */
    spinach: id(2),
    /** Main PDF '1' plus an annex PDF '2' (annex file name with non-ASCII characters). */
    twoDocuments: id(3),
    /** The body is the main content; one CSV annex '1'. */
    bodyMainContent: id(4),
    /** Published at the very same second (ordering tie-break). */
    sameDate: [id(5), id(6)],
    /** Asks for an action (business data FOR_ACTION, due 2030-06-30), not executed after a reset. */
    forAction: id(6),
    hidden: id(7),
    registeredUnread: id(8),
    registeredRead: id(9),
    businessData: id(10),
    paymentData: id(11),
    forTheAttentionOf: id(12),
    /** "test" in its subject. */
    test: id(13),
    /** Unread, expires within 15 days, in GENERAL. */
    unreadExpiringSoon: id(14),
    /** Expired: left out of the default list. */
    expired: id(15),
    toMoveFromGeneral: [id(16), id(17)],
    /** Sent from a sender partition (sender.partition = partitionBid). */
    sentFromPartitionB: id(18),
    /** Its main attachment is signed. */
    signed: id(19),
    inPartitionB: id(25),
    toMoveFromToDelete: [id(29), id(30)],
    inNoAccessPartition: id(32),
  },
  /** Messages of the other e-Boxes. */
  otherMessages: {
    /** Second e-Box: same fr subject as `messages.spinach`, main PDF '1'. */
    secondSpinach: id(101),
    secondPdf: id(102),
    secondBody: id(103),
    citizenPdf: id(201),
    citizenBody: id(202),
    citizenRead: id(203),
  },
  mainAttachmentId: '1',
  annexAttachmentId: '2',

  /** Counts of the main e-Box. "listed" = shown by the default list (expired messages are left out). */
  counts: {
    total: 33,
    expired: 1,
    listed: 32,
    hidden: 1,
    registered: 2,
    unreadListed: 12,
    unreadExpiringSoon: 1,
    /** Listed messages per partition. */
    listedPerPartition: { GENERAL: 23, partitionBid: 4, partitionToDelete: 3, partitionIdNoAccess: 2 },
    secondEbox: 3,
    citizenEbox: 3,
  },

  /** Reference data. */
  referenceData: {
    senderOrganizations: ['0220916609', '0454079368', '0566988259', '0206731645'],
    senderApplications: ['socialsecurity-letters', 'tax-on-web', 'demo-invoicing', 'partner-mail'],
    messageTypes: ['contribution-notice', 'tax-assessment', 'registered-letter', 'invoice', 'information'],
    /** Its names exist only in French: nl and de must be filled from fr. */
    frenchOnlyOrganization: '0566988259',
    /** Has one logo per language (logo-nl, logo-fr, logo-de). */
    organizationWithLanguageLogos: '0220916609',
  },

  /** Text search (q + qlang): the brief's §5.1 worked example and one case per searched field. */
  search: {
    example: {
      qlang: 'fr' as const,
      messageId: id(2),
      field: SPINACH_SUBJECT,
      found: ['some', 'me rando', 'ok?', 'François', 'Francois', 'epinards', 'ép', 'SOME RAND'],
      notFound: ['ok?This is', 'This some random'],
    },
    /** Each: the exact set of LISTED main-e-Box messages that must match. */
    cases: [
      { why: 'business data value', q: 'tva/778', qlang: 'fr' as const, messageIds: [id(10)] },
      { why: 'business data value, other language', q: 'tva/778', qlang: 'nl' as const, messageIds: [] },
      {
        why: 'business data value (accents)',
        q: 'TROISIEME trim',
        qlang: 'fr' as const,
        messageIds: [id(10)],
      },
      { why: 'forTheAttentionOf label', q: 'dupont', qlang: 'nl' as const, messageIds: [id(12)] },
      { why: 'forTheAttentionOf ssin', q: '85073003328', qlang: 'de' as const, messageIds: [id(12)] },
      {
        why: 'message type name',
        q: 'beitragsbescheid',
        qlang: 'de' as const,
        messageIds: [id(1), id(7), id(12), id(14), id(19), id(25), id(29), id(32)],
      },
      {
        why: 'sender organisation long name',
        q: 'securite sociale',
        qlang: 'fr' as const,
        messageIds: [
          id(1),
          id(4),
          id(7),
          id(8),
          id(12),
          id(14),
          id(19),
          id(22),
          id(25),
          id(28),
          id(29),
          id(32),
        ],
      },
      {
        why: 'sender application description',
        q: 'rechnungen im auftrag',
        qlang: 'de' as const,
        messageIds: [id(2), id(5), id(11), id(13), id(17), id(21), id(24), id(26), id(30), id(33)],
      },
      { why: 'subject with a test word', q: 'de test', qlang: 'fr' as const, messageIds: [id(13)] },
      { why: 'a literal percent sign', q: '10 %', qlang: 'nl' as const, messageIds: [id(11)] },
      { why: 'percent is not a wildcard', q: '%', qlang: 'fr' as const, messageIds: [id(11)] },
      { why: 'underscore is not a wildcard', q: '_', qlang: 'fr' as const, messageIds: [] },
      { why: 'a word only in a body', q: 'zuurstofmasker', qlang: 'nl' as const, messageIds: [] },
      { why: 'a word only in document content', q: 'pdfgeheimnis', qlang: 'de' as const, messageIds: [] },
      { why: 'the example in another language', q: 'épinards', qlang: 'nl' as const, messageIds: [] },
    ],
  },
} as const
