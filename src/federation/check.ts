import { existsSync, readFileSync, statSync } from 'node:fs';
import type { TrustRegistry } from '../config/trust.ts';
import type { ConfigProblem } from '../core/errors.ts';
import { MetadataRefusal, verifyPartnerMetadata } from './metadata/partner-metadata.ts';
import { metadataPolicy } from './metadata/service.ts';

/**
 * What `hub trust check` verifies of federation/trust.yaml beyond the file itself (which
 * loadTrust checks: schema, ids, entityIDs, prefixes, certificates): each metadata file an
 * operator provided, verified offline exactly as the running hub verifies it (signature by a
 * pinned certificate over the root, validUntil, the entity by its entityID, its IdP role). A
 * partner with only a URL is verified when the hub fetches it; `hub trust status` shows how
 * that went.
 */
export function checkTrustDetails(
  registry: TrustRegistry,
  options: { readonly production: boolean; readonly maxBytes: number; readonly now: number },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  registry.partners.forEach((p, position) => {
    const index = p.index ?? position;
    // A missing file is reported by readTrust already.
    if (p.metadata.filePath === undefined || !existsSync(p.metadata.filePath)) return;
    const at = { file: registry.file, ...(p.line !== undefined ? { line: p.line } : {}), path: `partners.${index}.metadata.file` };
    let xml: string;
    try {
      if (statSync(p.metadata.filePath).size > options.maxBytes) {
        problems.push({ ...at, message: `${p.metadata.file} is larger than ${options.maxBytes} bytes` });
        return;
      }
      xml = readFileSync(p.metadata.filePath, 'utf8');
    } catch (err) {
      problems.push({ ...at, message: `${p.metadata.file}: ${(err as Error).message}` });
      return;
    }
    try {
      verifyPartnerMetadata(xml, metadataPolicy(p, options), options.now);
    } catch (err) {
      if (!(err instanceof MetadataRefusal)) throw err;
      problems.push({ ...at, message: `${p.metadata.file}: ${err.message}` });
    }
  });
  return problems;
}
