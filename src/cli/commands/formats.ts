import type { SecretPairs } from '../../core/secrets/get-all.js';
import type { FormatOptions } from '../../format/types.js';

/** The formats credstash's get/getall offer (docs/format.md §3.8). */
export const CREDSTASH_FORMATS = ['json', 'yaml', 'csv', 'dotenv'] as const;

/** Render `secrets` (sorted name/value pairs); the renderers load only when output is due. */
export async function renderFormat(format: string, secrets: SecretPairs, options: FormatOptions = {}): Promise<string> {
  const { FORMATS } = await import('../../format/index.js');
  const render = FORMATS[format as keyof typeof FORMATS];
  return render(secrets, options);
}
