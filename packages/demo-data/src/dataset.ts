import type { ReferenceDataImport } from '@ebox/contract'
import { DEMO, demoMessageId, SPINACH_SUBJECT } from './facts.ts'
import { makePdf } from './pdf.ts'
import { makePng } from './png.ts'
import type { DemoAttachment, DemoDataSet, DemoEbox, DemoMessage, DemoRecipient } from './types.ts'

const DAY = 86_400_000
const SS = '0220916609'
const FIN = '0454079368'
const INV = '0566988259'
const PARTNER = DEMO.secondEnterprise

type Texts = { nl?: string; fr?: string; de?: string }
type Validity = { validityPeriodNumber: number; validityPeriodUnit: 'day' | 'month' | 'year' }

const APPLICATIONS = {
  'socialsecurity-letters': SS,
  'tax-on-web': FIN,
  'demo-invoicing': INV,
  'partner-mail': PARTNER,
} as const
type ApplicationId = keyof typeof APPLICATIONS

const VALIDITY: Record<string, Validity> = {
  'contribution-notice': { validityPeriodNumber: 1, validityPeriodUnit: 'year' },
  'tax-assessment': { validityPeriodNumber: 2, validityPeriodUnit: 'year' },
  'registered-letter': { validityPeriodNumber: 1, validityPeriodUnit: 'year' },
  invoice: { validityPeriodNumber: 6, validityPeriodUnit: 'month' },
  information: { validityPeriodNumber: 3, validityPeriodUnit: 'month' },
}

function logo(imageId: string, rgb: [number, number, number], language?: 'nl' | 'fr' | 'de') {
  return {
    imageId,
    mediaType: 'image/png' as const,
    ...(language ? { language } : {}),
    contentBase64: makePng(48, rgb).toString('base64'),
  }
}

function referenceData(): ReferenceDataImport {
  return {
    senderOrganizations: [
      {
        organizationId: SS,
        organizationShortName: { nl: 'RSZ', fr: 'ONSS', de: 'LSS' },
        organizationLongName: {
          nl: 'Rijksdienst voor Sociale Zekerheid',
          fr: 'Office national de sécurité sociale',
          de: 'Landesamt für soziale Sicherheit',
        },
        organizationUrl: {
          nl: 'https://www.rsz.example/nl',
          fr: 'https://www.onss.example/fr',
          de: 'https://www.lss.example/de',
        },
        contactBusiness: 'helpdesk@onss.example, +32 2 000 00 00',
        organizationLogos: [
          logo('logo-nl', [0, 82, 155], 'nl'),
          logo('logo-fr', [0, 82, 156], 'fr'),
          logo('logo-de', [0, 82, 157], 'de'),
        ],
      },
      {
        organizationId: FIN,
        organizationShortName: { nl: 'FOD Financiën', fr: 'SPF Finances', de: 'FÖD Finanzen' },
        organizationLongName: {
          nl: 'Federale Overheidsdienst Financiën',
          fr: 'Service public fédéral Finances',
          de: 'Föderaler Öffentlicher Dienst Finanzen',
        },
        contactTechnical: 'support@finances.example',
        organizationLogos: [logo('logo', [200, 120, 0])],
      },
      {
        // Names in French only: the other languages are filled from fr on the way out (§6.1).
        organizationId: INV,
        organizationShortName: { fr: 'Demo Facturation SA' },
        organizationLongName: { fr: 'Demo Facturation société anonyme' },
        organizationLogos: [logo('logo', [30, 150, 60])],
      },
      {
        organizationId: PARTNER,
        organizationShortName: { nl: 'Demo Partner', fr: 'Demo Partner', de: 'Demo Partner' },
        organizationLogos: [logo('logo', [120, 40, 160])],
      },
    ],
    senderApplications: [
      {
        applicationId: 'socialsecurity-letters',
        senderOrganizationId: SS,
        applicationName: {
          nl: 'Brieven sociale zekerheid',
          fr: 'Courriers sécurité sociale',
          de: 'Schreiben soziale Sicherheit',
        },
        applicationDescription: {
          nl: 'Bijdrageberichten en mededelingen van de RSZ',
          fr: "Avis de cotisation et communications de l'ONSS",
          de: 'Mitteilungen und Schreiben des LSS',
        },
        applicationLogos: [logo('logo', [0, 82, 155])],
        messageTypes: [
          { messageTypeId: 'contribution-notice', recipientTypes: ['enterprise', 'citizen'] },
          { messageTypeId: 'registered-letter', recipientTypes: ['enterprise', 'citizen'] },
          { messageTypeId: 'information', recipientTypes: ['enterprise', 'citizen'] },
        ],
      },
      {
        applicationId: 'tax-on-web',
        senderOrganizationId: FIN,
        applicationName: { nl: 'Tax-on-web', fr: 'Tax-on-web', de: 'Tax-on-web' },
        applicationDescription: {
          nl: 'Aangifte en aanslag van de belastingen',
          fr: 'Déclaration et imposition des impôts',
          de: 'Erklärung und Veranlagung der Steuern',
        },
        applicationUrl: { nl: 'https://taxonweb.example/nl', fr: 'https://taxonweb.example/fr' },
        applicationLogos: [logo('logo', [200, 120, 0])],
        messageTypes: [
          { messageTypeId: 'tax-assessment', recipientTypes: ['enterprise', 'citizen'] },
          { messageTypeId: 'registered-letter', recipientTypes: ['enterprise', 'citizen'] },
        ],
      },
      {
        applicationId: 'demo-invoicing',
        senderOrganizationId: INV,
        applicationName: {
          nl: 'Elektronische facturatie',
          fr: 'Facturation électronique',
          de: 'Elektronische Rechnungsstellung',
        },
        applicationDescription: {
          nl: 'Facturen in opdracht van leveranciers',
          fr: 'Factures pour le compte de fournisseurs',
          de: 'Rechnungen im Auftrag von Lieferanten',
        },
        applicationLogos: [logo('logo', [30, 150, 60])],
        messageTypes: [
          { messageTypeId: 'invoice', recipientTypes: ['enterprise'] },
          { messageTypeId: 'information', recipientTypes: ['enterprise'] },
        ],
      },
      {
        applicationId: 'partner-mail',
        senderOrganizationId: PARTNER,
        applicationName: { nl: 'Partnerpost', fr: 'Courrier partenaire', de: 'Partnerpost' },
        applicationLogos: [],
        messageTypes: [{ messageTypeId: 'information', recipientTypes: ['enterprise'] }],
      },
    ],
    messageTypes: [
      {
        messageTypeId: 'contribution-notice',
        messageTypeName: { nl: 'Bijdragebericht', fr: 'Avis de cotisation', de: 'Beitragsbescheid' },
        messageTypeDescription: {
          nl: 'Bericht over de verschuldigde sociale bijdragen',
          fr: 'Avis relatif aux cotisations sociales dues',
          de: 'Bescheid über die geschuldeten Sozialbeiträge',
        },
        validityPeriod: VALIDITY['contribution-notice']!,
      },
      {
        messageTypeId: 'tax-assessment',
        messageTypeName: { nl: 'Aanslagbiljet', fr: 'Avertissement-extrait de rôle', de: 'Steuerbescheid' },
        validityPeriod: VALIDITY['tax-assessment']!,
      },
      {
        messageTypeId: 'registered-letter',
        messageTypeName: { nl: 'Aangetekende zending', fr: 'Envoi recommandé', de: 'Einschreiben' },
        messageTypeDescription: {
          nl: 'Elektronische aangetekende zending (wet van 27 februari 2019)',
          fr: 'Envoi recommandé électronique (loi du 27 février 2019)',
          de: 'Elektronisches Einschreiben (Gesetz vom 27. Februar 2019)',
        },
        validityPeriod: VALIDITY['registered-letter']!,
      },
      {
        messageTypeId: 'invoice',
        messageTypeName: { nl: 'Factuur', fr: 'Facture', de: 'Rechnung' },
        validityPeriod: VALIDITY.invoice!,
      },
      {
        messageTypeId: 'information',
        messageTypeName: { nl: 'Informatie', fr: 'Information', de: 'Information' },
        validityPeriod: VALIDITY.information!,
      },
    ],
  }
}

/** Adds a validity period the way publication does (calendar months and years, UTC). */
export function addValidity(from: Date, validity: Validity): Date {
  const date = new Date(from)
  const n = validity.validityPeriodNumber
  if (validity.validityPeriodUnit === 'day') date.setUTCDate(date.getUTCDate() + n)
  if (validity.validityPeriodUnit === 'month') date.setUTCMonth(date.getUTCMonth() + n)
  if (validity.validityPeriodUnit === 'year') date.setUTCFullYear(date.getUTCFullYear() + n)
  return date
}

interface Spec {
  n: number
  app: ApplicationId
  type: keyof typeof VALIDITY
  subject: Texts
  /** Days before `now` (fractions allowed). */
  age: number
  read?: boolean
  partition?: string
  visible?: boolean
  registered?: boolean
  /** Payment data due this many days after `now`. */
  paymentDueInDays?: number
  /** Extra fields (body, business data …); attachments default to one main PDF with id '1'. */
  extra?: Partial<DemoMessage>
}

function mainPdf(n: number, subject: Texts, fileName = `message-${n}.pdf`): DemoAttachment {
  const title = subject.fr ?? subject.nl ?? subject.de ?? ''
  return {
    attachmentId: '1',
    fileName,
    mediaType: 'application/pdf',
    isMainContent: true,
    isAttachmentSigned: false,
    content: makePdf(title, [
      `Document ${n} of the e-Box demo data set.`,
      'Search never looks inside documents: pdfgeheimnis.',
      `Message ${demoMessageId(n)}`,
    ]),
  }
}

const MAIN: Spec[] = [
  {
    n: 1,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — 2e trimestre',
      nl: 'Bijdragebericht — 2e kwartaal',
      de: 'Beitragsbescheid — 2. Quartal',
    },
    age: 1,
  },
  {
    n: 2,
    app: 'demo-invoicing',
    type: 'information',
    subject: {
      fr: SPINACH_SUBJECT,
      nl: 'Dit is een willekeurig bericht met speciale gevallen',
      de: 'Dies ist eine zufällige Nachricht mit Sonderfällen',
    },
    age: 2,
    read: true,
  },
  {
    n: 3,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: "Avertissement-extrait de rôle — exercice d'imposition",
      nl: 'Aanslagbiljet — aanslagjaar',
      de: 'Steuerbescheid — Steuerjahr',
    },
    age: 3,
    extra: {
      attachments: [
        {
          ...mainPdf(3, { fr: 'Avertissement-extrait de rôle' }, 'avertissement-extrait-de-rôle.pdf'),
          attachmentTitle: { fr: 'Avertissement-extrait de rôle', nl: 'Aanslagbiljet', de: 'Steuerbescheid' },
        },
        {
          attachmentId: DEMO.annexAttachmentId,
          fileName: 'Explications — été 2024.pdf',
          mediaType: 'application/pdf',
          isMainContent: false,
          isAttachmentSigned: false,
          attachmentTitle: { fr: 'Explications' },
          content: makePdf('Explications', [
            'Annexe explicative: la lire ne marque pas le message comme lu.',
            'pdfgeheimnis',
          ]),
        },
      ],
    },
  },
  {
    n: 4,
    app: 'socialsecurity-letters',
    type: 'information',
    subject: {
      fr: "Changement d'adresse du bureau régional",
      nl: 'Adreswijziging van het gewestelijk kantoor',
      de: 'Adressänderung des Regionalbüros',
    },
    age: 4,
    extra: {
      isBodyMainContent: true,
      bodyContent: {
        fr: 'Notre bureau régional déménage le mois prochain. Masque à oxygène non compris.',
        nl: 'Ons gewestelijk kantoor verhuist volgende maand. Zuurstofmasker niet inbegrepen.',
        de: 'Unser Regionalbüro zieht nächsten Monat um. Sauerstoffmaske nicht inbegriffen.',
      },
      attachments: [
        {
          attachmentId: '1',
          fileName: 'adresses.csv',
          mediaType: 'text/csv',
          isMainContent: false,
          isAttachmentSigned: false,
          attachmentTitle: { fr: 'Nouvelles adresses', nl: 'Nieuwe adressen', de: 'Neue Adressen' },
          content: Buffer.from('office;street;city\nBruxelles;Place Victor Horta 11;1060 Saint-Gilles\n'),
        },
      ],
    },
  },
  {
    n: 5,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: { fr: 'Facture 2024-0031', nl: 'Factuur 2024-0031', de: 'Rechnung 2024-0031' },
    age: 5,
    read: true,
  },
  {
    n: 6,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: 'Rectification de votre avertissement-extrait de rôle',
      nl: 'Rechtzetting van uw aanslagbiljet',
      de: 'Berichtigung Ihres Steuerbescheids',
    },
    age: 5,
    // A message asking for an action (standardized business data, dev.eboxenterprise.be/docs/ds/business_data).
    extra: {
      businessDataList: [
        { key: 'FOR_ACTION', values: [{ fr: 'true', nl: 'true', de: 'true' }] },
        { key: 'FOR_ACTION_DUE_DATE', values: [{ fr: '2030-06-30', nl: '2030-06-30', de: '2030-06-30' }] },
      ],
    },
  },
  {
    n: 7,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — régularisation',
      nl: 'Bijdragebericht — regularisatie',
      de: 'Beitragsbescheid — Regularisierung',
    },
    age: 6,
    read: true,
    visible: false,
  },
  {
    n: 8,
    app: 'socialsecurity-letters',
    type: 'registered-letter',
    subject: { fr: 'Mise en demeure', nl: 'Ingebrekestelling', de: 'Inverzugsetzung' },
    age: 7,
    registered: true,
  },
  {
    n: 9,
    app: 'tax-on-web',
    type: 'registered-letter',
    subject: {
      fr: 'Notification recommandée de décision',
      nl: 'Aangetekende kennisgeving van beslissing',
      de: 'Eingeschriebene Mitteilung der Entscheidung',
    },
    age: 9,
    read: true,
    registered: true,
  },
  {
    n: 10,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: 'Demande de renseignements TVA',
      nl: 'Vraag om inlichtingen btw',
      de: 'Auskunftsersuchen MwSt',
    },
    age: 10,
    read: true,
    extra: {
      businessDataList: [
        {
          key: 'dossierNumber',
          name: { fr: 'Numéro de dossier', nl: 'Dossiernummer', de: 'Aktenzeichen' },
          values: [{ fr: 'Dossier 2024/TVA/778', nl: 'Dossier 2024/BTW/778', de: 'Akte 2024/MwSt/778' }],
        },
        {
          key: 'period',
          values: [
            { fr: 'Troisième trimestre', nl: 'Derde kwartaal', de: 'Drittes Quartal' },
            { fr: '2024' },
          ],
        },
      ],
    },
  },
  {
    n: 11,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: {
      fr: 'Facture 2024-0042 — remise de 10 % incluse',
      nl: 'Factuur 2024-0042 — 10 % korting inbegrepen',
      de: 'Rechnung 2024-0042 — 10 % Rabatt inbegriffen',
    },
    age: 11,
    paymentDueInDays: 30,
  },
  {
    n: 12,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — personnel de maison',
      nl: 'Bijdragebericht — huispersoneel',
      de: 'Beitragsbescheid — Hauspersonal',
    },
    age: 12,
    read: true,
    extra: { forTheAttentionOf: { ssin: '85073003328', label: 'Service comptabilité — Mme Dupont' } },
  },
  {
    n: 13,
    app: 'demo-invoicing',
    type: 'information',
    subject: { fr: 'Message de test', nl: 'Testbericht', de: 'Testnachricht' },
    age: 13,
    read: true,
  },
  {
    n: 14,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation annuel — rappel',
      nl: 'Jaarlijks bijdragebericht — herinnering',
      de: 'Jährlicher Beitragsbescheid — Erinnerung',
    },
    age: 355,
  },
  {
    n: 15,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — archivé',
      nl: 'Bijdragebericht — gearchiveerd',
      de: 'Beitragsbescheid — archiviert',
    },
    age: 400,
    read: true,
  },
  {
    n: 16,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: { fr: 'Avertissement-extrait de rôle — précompte professionnel' },
    age: 14,
    read: true,
  },
  {
    n: 17,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: { nl: 'Factuur 2024-0017' },
    age: 15,
    read: true,
  },
  {
    n: 18,
    app: 'partner-mail',
    type: 'information',
    subject: { fr: 'Proposition de collaboration', nl: 'Samenwerkingsvoorstel', de: 'Kooperationsvorschlag' },
    age: 16,
    extra: { sender: { enterpriseNumber: PARTNER, partition: DEMO.partitions.b } },
  },
  {
    n: 19,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: { fr: 'Relevé des cotisations', nl: 'Overzicht van de bijdragen', de: 'Beitragsübersicht' },
    age: 18,
    read: true,
    extra: {
      attachments: [{ ...mainPdf(19, { fr: 'Relevé des cotisations' }), isAttachmentSigned: true }],
    },
  },
  {
    n: 20,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: { nl: 'Aanslagbiljet 2022' },
    age: 20,
    read: true,
  },
  { n: 21, app: 'demo-invoicing', type: 'invoice', subject: { de: 'Rechnung 2024-0021' }, age: 25 },
  {
    n: 22,
    app: 'socialsecurity-letters',
    type: 'information',
    subject: { fr: 'Nouveaux services en ligne', nl: 'Nieuwe onlinediensten', de: 'Neue Online-Dienste' },
    age: 30,
    read: true,
  },
  {
    n: 23,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: 'Avertissement-extrait de rôle — exercice 2023',
      nl: 'Aanslagbiljet — aanslagjaar 2023',
      de: 'Steuerbescheid — Steuerjahr 2023',
    },
    age: 40,
    read: true,
  },
  {
    n: 24,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: { fr: 'Facture 2024-0008', nl: 'Factuur 2024-0008', de: 'Rechnung 2024-0008' },
    age: 60,
    read: true,
  },
  {
    n: 25,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — partition B',
      nl: 'Bijdragebericht — partitie B',
      de: 'Beitragsbescheid — Partition B',
    },
    age: 8,
    partition: DEMO.partitions.b,
  },
  {
    n: 26,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: { fr: 'Facture 2024-0026', nl: 'Factuur 2024-0026', de: 'Rechnung 2024-0026' },
    age: 17,
    read: true,
    partition: DEMO.partitions.b,
  },
  {
    n: 27,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: 'Avertissement-extrait de rôle — partition B',
      nl: 'Aanslagbiljet — partitie B',
      de: 'Steuerbescheid — Partition B',
    },
    age: 35,
    read: true,
    partition: DEMO.partitions.b,
  },
  {
    n: 28,
    app: 'socialsecurity-letters',
    type: 'information',
    subject: {
      fr: 'Information — partition B',
      nl: 'Informatie — partitie B',
      de: 'Information — Partition B',
    },
    age: 50,
    read: true,
    partition: DEMO.partitions.b,
  },
  {
    n: 29,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — à déplacer',
      nl: 'Bijdragebericht — te verplaatsen',
      de: 'Beitragsbescheid — zu verschieben',
    },
    age: 19,
    read: true,
    partition: DEMO.partitions.toDelete,
  },
  {
    n: 30,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: {
      fr: 'Facture 2024-0030 — à déplacer',
      nl: 'Factuur 2024-0030 — te verplaatsen',
      de: 'Rechnung 2024-0030 — zu verschieben',
    },
    age: 21,
    partition: DEMO.partitions.toDelete,
  },
  {
    n: 31,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: {
      fr: 'Avertissement-extrait de rôle — ancienne partition',
      nl: 'Aanslagbiljet — oude partitie',
      de: 'Steuerbescheid — alte Partition',
    },
    age: 45,
    read: true,
    partition: DEMO.partitions.toDelete,
  },
  {
    n: 32,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: {
      fr: 'Avis de cotisation — partition sans accès',
      nl: 'Bijdragebericht — partitie zonder toegang',
      de: 'Beitragsbescheid — Partition ohne Zugang',
    },
    age: 6.5,
    partition: DEMO.partitions.noAccess,
  },
  {
    n: 33,
    app: 'demo-invoicing',
    type: 'invoice',
    subject: {
      fr: 'Facture 2024-0003 — partition sans accès',
      nl: 'Factuur 2024-0003 — partitie zonder toegang',
      de: 'Rechnung 2024-0003 — Partition ohne Zugang',
    },
    age: 70,
    read: true,
    partition: DEMO.partitions.noAccess,
  },
]

const SECOND: Spec[] = [
  {
    n: 101,
    app: 'demo-invoicing',
    type: 'information',
    subject: { fr: SPINACH_SUBJECT, nl: 'Een bericht voor een andere e-Box' },
    age: 1,
  },
  {
    n: 102,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: { fr: 'Avertissement-extrait de rôle', nl: 'Aanslagbiljet', de: 'Steuerbescheid' },
    age: 3,
    read: true,
  },
  {
    n: 103,
    app: 'socialsecurity-letters',
    type: 'information',
    subject: { fr: 'Bienvenue dans votre e-Box', nl: 'Welkom in uw e-Box', de: 'Willkommen in Ihrer e-Box' },
    age: 5,
    extra: {
      isBodyMainContent: true,
      bodyContent: { fr: 'Bienvenue !', nl: 'Welkom!', de: 'Willkommen!' },
      attachments: [],
    },
  },
]

const CITIZEN: Spec[] = [
  {
    n: 201,
    app: 'socialsecurity-letters',
    type: 'contribution-notice',
    subject: { fr: 'Avis de cotisation — indépendant', nl: 'Bijdragebericht — zelfstandige' },
    age: 1,
  },
  {
    n: 202,
    app: 'socialsecurity-letters',
    type: 'information',
    subject: { nl: 'Uw pensioenoverzicht' },
    age: 4,
    extra: {
      isBodyMainContent: true,
      bodyContent: { nl: 'Uw pensioenoverzicht staat klaar.' },
      attachments: [],
    },
  },
  {
    n: 203,
    app: 'tax-on-web',
    type: 'tax-assessment',
    subject: { fr: 'Avertissement-extrait de rôle', nl: 'Aanslagbiljet', de: 'Steuerbescheid' },
    age: 8,
    read: true,
  },
]

function message(spec: Spec, recipient: DemoRecipient, now: Date): DemoMessage {
  // Whole seconds; distinct per message except for equal ages (the ordering tie-break case).
  const publishedAt = new Date(now.getTime() - Math.round(spec.age * DAY))
  const validity = VALIDITY[spec.type]!
  const enterprise = recipient.eboxType === 'enterprise'
  const base: DemoMessage = {
    messageId: demoMessageId(spec.n),
    recipient,
    ...(enterprise ? { partitionId: spec.partition ?? DEMO.partitions.general } : {}),
    sender: { enterpriseNumber: APPLICATIONS[spec.app] },
    senderApplicationId: spec.app,
    messageTypeId: spec.type,
    subject: spec.subject,
    publishedAt,
    expiresAt: addValidity(publishedAt, validity),
    ...(spec.read
      ? { readAt: new Date(Math.min(publishedAt.getTime() + DAY, now.getTime() - 3_600_000)) }
      : {}),
    visible: spec.visible ?? true,
    isRegisteredMail: spec.registered ?? false,
    isReplyAuthorized: spec.type === 'information',
    isBodyMainContent: false,
    businessDataList: [],
    attachments: [mainPdf(spec.n, spec.subject)],
  }
  const message = { ...base, ...spec.extra }
  if (spec.paymentDueInDays !== undefined) {
    message.paymentData = {
      paymentDataId: `PAY-${spec.n}`,
      amount: 1250,
      vatAmount: 262.5,
      currency: 'EUR',
      dueDate: new Date(now.getTime() + spec.paymentDueInDays * DAY),
      iban: 'BE71096123456769',
      bic: 'GKCCBEBB',
      reference: { type: 'structured', value: '+++090/9337/55493+++' },
    }
  }
  return message
}

/**
 * The demo data set, every date relative to `now` (rounded down to the second): reference data in three
 * languages with PNG logos, three e-Boxes, and messages modelled on the federation's consultation test
 * scenarios. Deterministic: the same `now` gives the same data, byte for byte.
 */
export function buildDemoDataSet(at: Date = new Date()): DemoDataSet {
  const now = new Date(Math.floor(at.getTime() / 1000) * 1000)
  const main: DemoRecipient = { eboxType: 'enterprise', enterpriseNumber: DEMO.enterprise }
  const second: DemoRecipient = { eboxType: 'enterprise', enterpriseNumber: DEMO.secondEnterprise }
  const citizen: DemoRecipient = { eboxType: 'citizen', ssin: DEMO.citizenSsin }
  const eboxes: DemoEbox[] = [
    {
      eboxType: 'enterprise',
      id: DEMO.enterprise,
      partitions: Object.values(DEMO.partitions),
      lastConsultationAt: new Date(now.getTime() - DAY),
    },
    {
      eboxType: 'enterprise',
      id: DEMO.secondEnterprise,
      partitions: [DEMO.partitions.general],
      lastConsultationAt: new Date(now.getTime() - 3 * DAY),
    },
    {
      eboxType: 'citizen',
      id: DEMO.citizenSsin,
      partitions: [],
      lastConsultationAt: new Date(now.getTime() - 2 * DAY),
    },
  ]
  return {
    now,
    referenceData: referenceData(),
    eboxes,
    messages: [
      ...MAIN.map((spec) => message(spec, main, now)),
      ...SECOND.map((spec) => message(spec, second, now)),
      ...CITIZEN.map((spec) => message(spec, citizen, now)),
    ],
  }
}
