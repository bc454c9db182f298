import type { Catalog } from './catalog-report.js';
export function clientCatalogs(_repo: string, _git: string): Catalog[] {
  return [];
}
