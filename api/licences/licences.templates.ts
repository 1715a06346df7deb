import type { z } from 'zod';
import type { CreateLicence } from './licences.schema.ts';

/** A starting point for a licence: a body for `POST /datasets/:slug/licences` that stewards adapt. */
export interface LicenceTemplate {
  id: string;
  title: string;
  summary: string;
  licence: z.input<typeof CreateLicence>;
}

/** The templates `GET /licence-templates` serves. Each one is a valid licence body (a test posts them all). */
export const licenceTemplates: LicenceTemplate[] = [
  {
    id: 'open-attribution',
    title: 'Open, with attribution',
    summary: 'Anyone may use the data for any purpose, crediting the community (CC BY 4.0).',
    licence: {
      base: 'CC-BY-4.0',
      text: 'You may use, share and adapt this data for any purpose. Credit the community as its source, in the words it asks for.',
      duo: ['DUO:0000004'],
      reciprocity: [
        {
          kind: 'attribute',
          timing: 'before-download',
          description: 'Cite the dataset and the community by name.',
        },
      ],
      decision: { rule: 'single' },
      autoApprove: true,
    },
  },
  {
    id: 'non-commercial-research',
    title: 'Non-commercial research',
    summary:
      'Research and teaching only, not for commercial use; publish what you find and tell us how the data was used.',
    licence: {
      base: 'CC-BY-NC-4.0',
      text: 'This data is for non-commercial research and teaching. Do not share it onward, do not try to identify anyone in it, and publish your results openly.',
      purposes: ['research', 'education'],
      duo: ['DUO:0000042', 'DUO:0000046', 'DUO:0000019'],
      prohibitions: ['commercial', 'redistribution', 're-identification'],
      reciprocity: [
        { kind: 'attribute', timing: 'before-download' },
        { kind: 'report-use', timing: 'every-n-months', everyMonths: 12, evidence: 'text' },
        { kind: 'publish-results', timing: 'after-grant', dueDays: 365, evidence: 'link' },
      ],
      decision: { rule: 'single' },
      maxGrantDays: 365,
      fields: [
        { name: 'affiliation', label: 'Your institution', type: 'text', required: true },
        { name: 'project', label: 'Your project, in a few sentences', type: 'text', required: true },
      ],
    },
  },
  {
    id: 'community-consent',
    title: 'Community consent with benefit sharing',
    summary:
      'In the spirit of the Kaitiakitanga licence: the community decides each use, shares in its benefits and gets the results back.',
    licence: {
      base: '',
      text: [
        'This data is a taonga held in trust (kaitiakitanga) by the community it came from. The community keeps authority over it.',
        '',
        '- Every use needs the consent of the community, given by its reviewers for the purpose you declare.',
        '- Benefits that come from the data are shared with the community.',
        '- Results come back to the community in a form it can use, and you tell us before you publish.',
        '- No commercial use, no training of AI models and no onward sharing without a new agreement.',
      ].join('\n'),
      purposes: ['research', 'education', 'public-service'],
      duo: ['DUO:0000042', 'DUO:0000045', 'DUO:0000020'],
      prohibitions: ['commercial', 'ai-training', 'redistribution', 're-identification'],
      reciprocity: [
        { kind: 'attribute', timing: 'before-download' },
        { kind: 'notify-before-publication', timing: 'after-grant', dueDays: 30, evidence: 'text' },
        {
          kind: 'contribute-funds',
          timing: 'after-grant',
          dueDays: 180,
          evidence: 'text',
          description: 'A share of any funding or revenue the work brings.',
        },
        { kind: 'return-results-to-community', timing: 'at-end', evidence: 'link' },
        { kind: 'delete-at-end', timing: 'at-end', evidence: 'text' },
      ],
      decision: { rule: 'quorum', k: 2, n: 3, veto: true },
      maxGrantDays: 365,
      fields: [
        { name: 'affiliation', label: 'Your institution or organisation', type: 'text', required: true },
        {
          name: 'relationship',
          label: 'Your relationship with the community',
          type: 'choice',
          required: true,
          options: ['Member of the community', 'Working with the community', 'No relationship yet'],
        },
        { name: 'country', label: 'Where the work happens', type: 'country', required: true },
        { name: 'ethics', label: 'The work has ethics approval', type: 'checkbox', required: true },
      ],
    },
  },
  {
    id: 'ai-training-with-model-return',
    title: 'AI training, model shared back',
    summary:
      'Train or evaluate models on the data; share the model you build with the community and credit it.',
    licence: {
      base: 'LicenseRef-Steward-AI-Reciprocal',
      text: 'You may train, fine-tune and evaluate AI models on this data. Share the resulting model with the community, credit it, and do not redistribute the data itself.',
      purposes: ['ai-training', 'ai-fine-tuning', 'ai-evaluation', 'research'],
      prohibitions: ['redistribution', 're-identification'],
      reciprocity: [
        { kind: 'attribute', timing: 'before-download' },
        { kind: 'share-model', timing: 'after-grant', dueDays: 180, evidence: 'link' },
      ],
      decision: { rule: 'single' },
      maxGrantDays: 730,
      fields: [{ name: 'model', label: 'The model you will train', type: 'text', required: true }],
    },
  },
];
