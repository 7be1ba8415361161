// TLP 2.0 as STIX 2.1 marking definitions: the predefined objects of the OASIS TLP 2.0 extension
// (extension-definition--60a3c5c5-...), whose fixed ids every STIX consumer recognises.

/** TLP 2.0 levels, least to most restricted. */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpLevel = (typeof TLP_LEVELS)[number];

/** The extension definition the TLP 2.0 marking objects carry. */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The standard ids of the TLP 2.0 marking definitions. */
export const TLP2_MARKING_IDS: Readonly<Record<TlpLevel, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

/** True for a TLP 2.0 level name (lower case, as `--tlp` takes it). */
export function isTlpLevel(text: string): text is TlpLevel {
  return (TLP_LEVELS as readonly string[]).includes(text);
}

/** The predefined marking-definition object of a level, exactly as the extension publishes it. */
export function tlpMarking(level: TlpLevel): Record<string, unknown> {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[level],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${level.toUpperCase()}`,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: level } },
  };
}
