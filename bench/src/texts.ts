/**
 * Vocabulary of the generated data set: message families with subjects in the three languages. Texts are
 * realistic (French with accents, Dutch, German) so that trigram search behaves as it would on real mail.
 */
export type Texts = { nl: string; fr: string; de: string }

export interface Family {
  key: string
  /** Relative frequency among messages. */
  weight: number
  name: Texts
  description?: Texts
  validity: { validityPeriodNumber: number; validityPeriodUnit: 'day' | 'month' | 'year' }
  registered?: boolean
  /** Subject with `{n}` (a dossier number) and `{p}` (a period). */
  subject: Texts
  /** Business data keys and values (same placeholders). */
  businessData?: { key: string; values: Texts }[]
  payment?: boolean
  body?: boolean
}

export const FAMILIES: readonly Family[] = [
  {
    key: 'contribution',
    weight: 18,
    name: { nl: 'Bijdragebericht', fr: 'Avis de cotisation', de: 'Beitragsbescheid' },
    description: {
      nl: 'Bericht over de verschuldigde sociale bijdragen',
      fr: 'Avis relatif aux cotisations sociales dues',
      de: 'Bescheid über die geschuldeten Sozialbeiträge',
    },
    validity: { validityPeriodNumber: 1, validityPeriodUnit: 'year' },
    subject: {
      nl: 'Bijdragebericht kwartaal {p} — dossier {n}',
      fr: 'Avis de cotisation du trimestre {p} — dossier n° {n}',
      de: 'Beitragsbescheid Quartal {p} — Akte Nr. {n}',
    },
    businessData: [
      { key: 'dossier', values: { nl: 'Dossier {n}', fr: 'Dossier {n}', de: 'Akte {n}' } },
      { key: 'period', values: { nl: 'Kwartaal {p}', fr: 'Trimestre {p}', de: 'Quartal {p}' } },
    ],
  },
  {
    key: 'tax',
    weight: 10,
    name: { nl: 'Aanslagbiljet', fr: 'Avertissement-extrait de rôle', de: 'Steuerbescheid' },
    validity: { validityPeriodNumber: 2, validityPeriodUnit: 'year' },
    subject: {
      nl: 'Aanslagbiljet vennootschapsbelasting aanslagjaar {p} ({n})',
      fr: "Avertissement-extrait de rôle à l'impôt des sociétés, exercice {p} ({n})",
      de: 'Steuerbescheid Körperschaftsteuer Veranlagungsjahr {p} ({n})',
    },
    businessData: [{ key: 'article', values: { nl: 'Artikel {n}', fr: 'Article {n}', de: 'Artikel {n}' } }],
  },
  {
    key: 'registered',
    weight: 5,
    registered: true,
    name: { nl: 'Aangetekende zending', fr: 'Envoi recommandé', de: 'Einschreiben' },
    description: {
      nl: 'Elektronische aangetekende zending (wet van 27 februari 2019)',
      fr: 'Envoi recommandé électronique (loi du 27 février 2019)',
      de: 'Elektronisches Einschreiben (Gesetz vom 27. Februar 2019)',
    },
    validity: { validityPeriodNumber: 1, validityPeriodUnit: 'year' },
    subject: {
      nl: 'Aangetekende zending: ingebrekestelling {n}',
      fr: 'Envoi recommandé : mise en demeure n° {n}',
      de: 'Einschreiben: Inverzugsetzung Nr. {n}',
    },
  },
  {
    key: 'invoice',
    weight: 20,
    payment: true,
    name: { nl: 'Factuur', fr: 'Facture', de: 'Rechnung' },
    validity: { validityPeriodNumber: 6, validityPeriodUnit: 'month' },
    subject: {
      nl: 'Factuur {n} van {p}',
      fr: 'Facture n° {n} du {p} — échéance à 30 jours',
      de: 'Rechnung Nr. {n} vom {p}',
    },
    businessData: [
      { key: 'invoice', values: { nl: 'Factuur {n}', fr: 'Facture {n}', de: 'Rechnung {n}' } },
      { key: 'vat', values: { nl: 'BTW/{n}', fr: 'TVA/{n}', de: 'MwSt/{n}' } },
    ],
  },
  {
    key: 'direct-debit',
    weight: 3,
    name: { nl: 'Domiciliëring', fr: 'Avis de prélèvement', de: 'Lastschriftanzeige' },
    description: {
      nl: 'Aankondiging van een SEPA-domiciliëring',
      fr: "Annonce d'un prélèvement SEPA",
      de: 'Ankündigung einer SEPA-Lastschrift',
    },
    validity: { validityPeriodNumber: 3, validityPeriodUnit: 'month' },
    subject: {
      nl: 'Aankondiging domiciliëring {p} — mandaat {n}',
      fr: 'Annonce de prélèvement SEPA {p} — mandat n° {n}',
      de: 'Ankündigung SEPA-Lastschrift {p} — Mandat Nr. {n}',
    },
  },
  {
    key: 'payroll',
    weight: 12,
    name: { nl: 'Loonfiche', fr: 'Fiche de paie', de: 'Lohnzettel' },
    validity: { validityPeriodNumber: 1, validityPeriodUnit: 'year' },
    subject: {
      nl: 'Loonfiches {p} voor de werknemers — referentie {n}',
      fr: 'Fiches de paie {p} des travailleurs — référence {n}',
      de: 'Lohnzettel {p} der Arbeitnehmer — Referenz {n}',
    },
  },
  {
    key: 'information',
    weight: 20,
    body: true,
    name: { nl: 'Informatie', fr: 'Information', de: 'Information' },
    validity: { validityPeriodNumber: 3, validityPeriodUnit: 'month' },
    subject: {
      nl: 'Nieuwsbrief {p}: wijzigingen in de regelgeving',
      fr: 'Lettre d’information {p} : modifications de la réglementation',
      de: 'Rundschreiben {p}: Änderungen der Vorschriften',
    },
  },
  {
    key: 'reminder',
    weight: 8,
    name: { nl: 'Herinnering', fr: 'Rappel', de: 'Erinnerung' },
    validity: { validityPeriodNumber: 6, validityPeriodUnit: 'month' },
    subject: {
      nl: 'Herinnering: aangifte {p} nog niet ontvangen ({n})',
      fr: 'Rappel : déclaration {p} non encore reçue ({n})',
      de: 'Erinnerung: Erklärung {p} noch nicht eingegangen ({n})',
    },
  },
  {
    key: 'certificate',
    weight: 4,
    name: { nl: 'Attest', fr: 'Attestation', de: 'Bescheinigung' },
    validity: { validityPeriodNumber: 2, validityPeriodUnit: 'year' },
    subject: {
      nl: 'Attest van regelmatigheid {p} — François & Zonen NV ({n})',
      fr: 'Attestation de régularité {p} — François & Fils SA ({n})',
      de: 'Unbedenklichkeitsbescheinigung {p} — François & Söhne AG ({n})',
    },
  },
]

export const ORGANIZATION_WORDS: readonly Texts[] = [
  { nl: 'Rijksdienst', fr: 'Office national', de: 'Landesamt' },
  { nl: 'Federale Overheidsdienst', fr: 'Service public fédéral', de: 'Föderaler Öffentlicher Dienst' },
  { nl: 'Agentschap', fr: 'Agence', de: 'Agentur' },
  { nl: 'Kas', fr: 'Caisse', de: 'Kasse' },
  { nl: 'Sociaal secretariaat', fr: 'Secrétariat social', de: 'Sozialsekretariat' },
]

export const TOPICS: readonly Texts[] = [
  { nl: 'sociale zekerheid', fr: 'sécurité sociale', de: 'soziale Sicherheit' },
  { nl: 'financiën', fr: 'finances', de: 'Finanzen' },
  { nl: 'energie', fr: 'énergie', de: 'Energie' },
  { nl: 'mobiliteit', fr: 'mobilité', de: 'Mobilität' },
  { nl: 'werk', fr: 'emploi', de: 'Beschäftigung' },
  { nl: 'pensioenen', fr: 'pensions', de: 'Renten' },
  { nl: 'gezondheid', fr: 'santé', de: 'Gesundheit' },
  { nl: 'economie', fr: 'économie', de: 'Wirtschaft' },
]

export const ATTENTION_LABELS = [
  'Service comptabilité — M. Dupont',
  'Dienst personeelszaken — Mevr. Peeters',
  'Buchhaltung — Frau Müller',
  'Direction financière',
]

export function fill(texts: Texts, n: string, p: string): Texts {
  const f = (s: string) => s.replaceAll('{n}', n).replaceAll('{p}', p)
  return { nl: f(texts.nl), fr: f(texts.fr), de: f(texts.de) }
}
